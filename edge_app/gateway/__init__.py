"""edge_app.gateway"""
