"""HTTP for the emulator: the route table (endpoint -> method). No storage logic here."""

from __future__ import annotations

import contextlib
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from .admin import AdminMixin
from .api_calls import ApiCallsMixin
from .bodies import ClientGone, DropConnection
from .errors import ApiError, bad_request, not_found
from .http_base import API_PATH, decode_json, query_params
from .records import Key
from .transfers import TransfersMixin

Method = Callable[[ApiCallsMixin, int, Key, dict[str, Any]], dict[str, Any]]


class Handler(ApiCallsMixin, TransfersMixin, AdminMixin):
    """Routes each request to its method; B2 errors become ``{status, code, message}``."""

    #: The B2 call being answered, for the late-answer fault (None: not a B2 call).
    endpoint: str | None = None

    def _dispatch(self, method: str) -> None:
        self.response_started = False
        self.body_left, self.body_trusted = 0, False
        self.endpoint = None
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        try:
            self.body_left = self._content_length()  # read only once the caller is known
            if path.startswith("/_emulator/"):
                self._admin(method, path, split.query)
                return
            if method == "OPTIONS":
                self._preflight(path, split.query)
                return
            if path.startswith("/file/"):
                self._count("b2_download_file_by_name")
                self._delay()
                if method not in ("GET", "HEAD"):
                    raise ApiError(405, "method_not_allowed", f"{method} is not allowed here")
                self._download(split.query, by_name=path[len("/file/") :])
                return
            match = API_PATH.fullmatch(path)
            if match is None:
                raise not_found(f"unknown path {path}")
            version, endpoint, path_id = int(match.group(1)), match.group(2), match.group(3)
            self.endpoint = endpoint
            if endpoint in ("b2_upload_file", "b2_upload_part"):
                self._count(endpoint)
                self._delay()
                self._upload(method, endpoint, path_id)
                return
            if endpoint == "b2_download_file_by_id":
                self._count(endpoint)
                self._delay()
                self._download(split.query, by_id=True)
                return
            route = ROUTES.get(endpoint)
            if path_id is not None or (route is None and endpoint != "b2_authorize_account"):
                raise not_found(f"unknown call {endpoint}")
            self._count(endpoint)
            self._delay()
            self._json_call(method, version, route, split.query)
        except ApiError as error:
            self._send_error(error)
        except (DropConnection, ClientGone):
            self._drop()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except TimeoutError:
            self._fail(ApiError(408, "request_timeout", "the request body stalled"))
        except Exception as exc:  # a bug: answer 500 so clients see it, keep serving
            self.log_error("internal error: %r", exc)
            self._fail(ApiError(500, "internal_error", f"emulator bug: {exc!r}"))

    def _send_json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Answer; a late-answer fault sends a success after a delay, or drops it (the call has
        been carried out either way)."""
        endpoint, self.endpoint = self.endpoint, None
        if status == 200 and endpoint is not None and self.app.faults.late_answer(endpoint):
            delay = self.app.faults.config.late_answer_delay
            if delay is None:
                raise DropConnection()
            time.sleep(delay)
        super()._send_json(status, body, headers)

    def _fail(self, error: ApiError) -> None:
        """Answer ``error`` and close, or just close if a response already began."""
        self.close_connection = True
        if self.response_started:
            self._drop()
            return
        with contextlib.suppress(OSError):
            self._send_error(error)

    def _json_call(self, method: str, version: int, route: Method | None, query: str) -> None:
        """A JSON call; ``route`` is None for b2_authorize_account. The caller is authenticated
        before the body is read (at most ``MAX_JSON_BODY`` bytes)."""
        if method not in ("GET", "POST"):
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed; use POST or GET")
        if route is None:
            self.app.faults.authorize()
            answer = self._authorize(version)
            self._read_body()  # authorize takes no body; this keeps the connection usable
            self._send_json(200, answer)
            return
        self.app.faults.api_call()
        key = self._account_key()
        body = self._read_body()
        params = query_params(query)
        if body.strip():
            decoded = decode_json(body)
            if not isinstance(decoded, dict):
                raise bad_request("the request body must be a JSON object")
            params.update(decoded)
        self._send_json(200, route(self, version, key, params))


ROUTES: dict[str, Method] = {
    "b2_create_bucket": ApiCallsMixin.create_bucket,
    "b2_delete_bucket": ApiCallsMixin.delete_bucket,
    "b2_list_buckets": ApiCallsMixin.list_buckets,
    "b2_update_bucket": ApiCallsMixin.update_bucket,
    "b2_set_bucket_notification_rules": ApiCallsMixin.set_bucket_notification_rules,
    "b2_get_bucket_notification_rules": ApiCallsMixin.get_bucket_notification_rules,
    "b2_get_upload_url": ApiCallsMixin.get_upload_url,
    "b2_get_upload_part_url": ApiCallsMixin.get_upload_part_url,
    "b2_list_file_names": ApiCallsMixin.list_file_names,
    "b2_list_file_versions": ApiCallsMixin.list_file_versions,
    "b2_get_file_info": ApiCallsMixin.get_file_info,
    "b2_hide_file": ApiCallsMixin.hide_file,
    "b2_delete_file_version": ApiCallsMixin.delete_file_version,
    "b2_update_file_retention": ApiCallsMixin.update_file_retention,
    "b2_update_file_legal_hold": ApiCallsMixin.update_file_legal_hold,
    "b2_start_large_file": ApiCallsMixin.start_large_file,
    "b2_finish_large_file": ApiCallsMixin.finish_large_file,
    "b2_cancel_large_file": ApiCallsMixin.cancel_large_file,
    "b2_list_parts": ApiCallsMixin.list_parts,
    "b2_list_unfinished_large_files": ApiCallsMixin.list_unfinished_large_files,
    "b2_copy_file": ApiCallsMixin.copy_file,
    "b2_copy_part": ApiCallsMixin.copy_part,
    "b2_get_download_authorization": ApiCallsMixin.get_download_authorization,
    "b2_create_key": ApiCallsMixin.create_key,
    "b2_delete_key": ApiCallsMixin.delete_key,
    "b2_list_keys": ApiCallsMixin.list_keys,
}
