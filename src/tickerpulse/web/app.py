"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from tickerpulse.config import Settings
from tickerpulse.db.engine import make_sessionmaker
from tickerpulse.web import formatting
from tickerpulse.web.routes import pages

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
LONG_CACHE = {"Cache-Control": "public, max-age=604800, immutable"}


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """Build the web app over an engine whose database holds the marts."""
    app = FastAPI(title="tickerpulse", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(formatting.FILTERS)
    app.state.templates = templates

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly.js from the installed plotly package: no CDN."""
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=LONG_CACHE)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    return app
