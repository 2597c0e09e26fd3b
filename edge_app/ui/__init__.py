"""edge_app.ui"""
