"""edge_app.sync"""
