"""The embedded sandbox gateway: the whole gateway contract on a loopback HTTP server, so the
app can be tried and tested with no account.

An independent implementation (`rules`, `options`, `records`, `state`, `http_server`, and the
public `server.SandboxGateway`): standard library only, it never imports the client, the sync
engine, the services or storage.
"""
