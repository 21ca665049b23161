"""The Blueprint every domain uses: flask-smorest's, with a stricter JSON body parser."""

import flask_smorest
from flask_smorest import abort
from webargs.flaskparser import FlaskParser


class StrictJsonParser(FlaskParser):
    """A missing body or one that is not JSON is a 400, not a confusing 422."""

    def load_json(self, req, schema):
        if not req.get_data(cache=True):
            if any(field.required for field in schema.fields.values()):
                abort(400, message="A JSON body is required.")
            return {}
        if not req.is_json:
            abort(400, message="The body must be sent as application/json.")
        return super().load_json(req, schema)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictJsonParser()
