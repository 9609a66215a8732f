"""GET /: the web page (app/static/index.html); its assets are mounted at /static by app.main."""

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    page = STATIC_DIR / "index.html"
    if not page.is_file():
        raise HTTPException(404, "the web page is not installed (app/static/index.html is missing)")
    return FileResponse(page, media_type="text/html")
