"""The reviewer web app: server-rendered FastAPI pages for reviewing, adjudicating and admin."""
