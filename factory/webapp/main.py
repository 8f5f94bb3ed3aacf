"""The app instance uvicorn serves (`factory.webapp.main:app`), on the factory database."""

import os

from factory.webapp.app import create_app

app = create_app(secure_cookies=os.environ.get("FACTORY_WEBAPP_SECURE_COOKIES") == "1")
