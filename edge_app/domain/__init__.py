"""edge_app.domain"""
