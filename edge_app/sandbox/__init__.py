"""edge_app.sandbox"""
