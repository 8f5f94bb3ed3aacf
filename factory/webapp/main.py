"""The app instance uvicorn serves (`factory.webapp.main:app`), on the factory database."""

from factory.settings import environment
from factory.webapp.app import create_app

app = create_app(secure_cookies=environment().webapp_secure_cookies)
