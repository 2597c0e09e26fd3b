"""Entry point of the frozen `edge-app` binary (PyInstaller runs this file as __main__)."""

from edge_app.cli import main

raise SystemExit(main())
