"""The studio: the command line's work from a local web page (`sessiongen studio`).

- `app`: the application factory (`create_app(StudioConfig)`); `server`: uvicorn on a loopback
  address of its own, and the login file; `connections`: read deadlines and a connection cap.
- `security`: the login, the cookie, the exact Host check, CSRF, body limits, paths kept inside
  the data folder.
- `jobs` and `work`: renders and batches in worker processes, their progress and cancelling.
- `forms`, `previews`, `clients`, `batches`: the form read into library calls, previews made by
  the library, client profiles and batches in the data folder.
- `routes_*`: one module per flow; `templates/` and `static/`: our own HTML, CSS and JavaScript.
"""
