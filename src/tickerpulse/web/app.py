"""The FastAPI application factory: templates, static files, local Plotly.js and routers.

The app is handed an engine and never starts a database itself; Plotly.js is
served from the file bundled in the installed ``plotly`` package (no CDN, no
copy in git) under a versioned URL that browsers may cache for a year.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from tickerpulse.config import Settings
from tickerpulse.db.engine import make_sessionmaker
from tickerpulse.web import formatting
from tickerpulse.web.cache import install_page_cache
from tickerpulse.web.metrics import install_metrics
from tickerpulse.web.routes import admin, health, pages

HERE = Path(__file__).parent
PLOTLY_URL = "/static/plotly.min.js"
YEAR_CACHE = {"Cache-Control": "public, max-age=31536000, immutable"}


def plotly_js_path() -> Path:
    """Where the installed ``plotly`` package keeps its bundled ``plotly.min.js``.

    Returns:
        The file's path.

    Raises:
        RuntimeError: If plotly is not installed or ships no bundle.
    """
    spec = importlib.util.find_spec("plotly")  # locates the package without importing it
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "package_data/plotly.min.js"
        if path.is_file():
            return path
    raise RuntimeError("plotly.min.js not found in the plotly package: run `uv sync`")


def create_app(settings: Settings, engine: Engine) -> FastAPI:
    """Build the web app over an engine whose database holds the marts.

    Args:
        settings: The validated settings.
        engine: An engine on a migrated database (the app reads marts only).

    Returns:
        The application, ready for uvicorn or a test client.
    """
    app = FastAPI(title="tickerpulse", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(formatting.FILTERS)
    plotly_version = importlib.metadata.version("plotly")
    templates.env.globals["plotly_js_url"] = f"{PLOTLY_URL}?v={plotly_version}"
    app.state.templates = templates
    plotly_js = plotly_js_path()

    # Registered before the /static mount so this one file comes from the plotly package.
    @app.get(PLOTLY_URL, include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript", headers=YEAR_CACHE)

    async def not_found(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # pragma: no cover - registered for 404 only
            raise exc
        if "text/html" not in request.headers.get("accept", ""):
            return await http_exception_handler(request, exc)
        message = f"There is no page at {request.url.path}."
        return templates.TemplateResponse(
            request, "not_found.html", {"message": message}, status_code=404
        )

    app.add_exception_handler(404, not_found)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    install_page_cache(app, settings.page_cache_seconds, ("/", "/asset", "/news", "/compare"))
    install_metrics(app, engine)  # added last, so it times cached pages too
    return app
