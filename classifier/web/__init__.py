"""The web page served by `regstance serve` at /: routes.py, templates/, static/."""
