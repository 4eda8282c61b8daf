"""Keys and tokens: authorize, key calls, upload URLs, download authorizations and who may read."""

from __future__ import annotations

import secrets
from typing import Any

from . import ids
from .database import key_row
from .errors import ApiError, bad_request, not_found, unauthorized
from .key_rules import (
    MAX_DOWNLOAD_AUTH_SECONDS,
    MAX_KEY_SECONDS,
    check_capabilities,
    check_key_name,
)
from .permissions import require, require_bucket, require_list_prefix, require_name
from .records import (
    AccountToken,
    Bucket,
    DownloadToken,
    FileVersion,
    Key,
    UploadToken,
)
from .store import Store


class AccessMixin(Store):
    def authorize(self, key_id: str, secret: str, *, api_version: int) -> tuple[Key, AccountToken]:
        with self.lock:
            key = self.keys.get(key_id)
            if key is None and key_id == self.account_id:
                key = self.master
            if key is None or not secrets.compare_digest(key.secret, secret):
                raise unauthorized("invalid application key id or application key")
            now = self.now_ms()
            if key.expiration is not None and key.expiration <= now:
                raise unauthorized("the application key has expired")
            if api_version < 4 and key.bucket_ids is not None and len(key.bucket_ids) > 1:
                raise ApiError(
                    401, "unsupported", "this key has several buckets; use b2api/v4 to authorize"
                )
            expires = now + self.token_lifetime_ms
            if key.expiration is not None:
                expires = min(expires, key.expiration)
            token = AccountToken(
                token=ids.account_token(self.account_id),
                key_id=key.key_id,
                expires_at=expires,
            )
            self.tokens.save(token)
            return key, token

    def _token(self, token: str | None) -> AccountToken | UploadToken | DownloadToken:
        if not token:
            raise ApiError(401, "missing_auth_token", "the Authorization header is missing")
        found = self.tokens.get(token)
        if found is None:
            raise ApiError(401, "bad_auth_token", "invalid authorization token")
        return found

    def _key_of(self, key_id: str) -> Key:
        key = self.keys.get(key_id)
        if key is None:
            raise ApiError(401, "bad_auth_token", "the application key of this token was deleted")
        return key

    def authenticate(self, token: str | None) -> tuple[Key, AccountToken]:
        """Resolve an account authorization token (counts one use)."""
        with self.lock:
            found = self._token(token)
            if not isinstance(found, AccountToken):
                raise ApiError(401, "bad_auth_token", "not an account authorization token")
            found.uses += 1
            if found.forced_expired or found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "authorization token has expired")
            return self._key_of(found.key_id), found

    def count_test_mode_use(self, token: AccountToken) -> None:
        with self.lock:
            token.test_mode_uses += 1

    def expire_token(self, token: AccountToken) -> None:
        with self.lock:
            token.forced_expired = True
            if token.token in self.tokens:
                self.tokens.save(token)

    def authenticate_download(self, token: str | None) -> tuple[Key, AccountToken | DownloadToken]:
        with self.lock:
            found = self._token(token)
            if isinstance(found, UploadToken):
                raise ApiError(401, "bad_auth_token", "upload tokens cannot download")
            if isinstance(found, AccountToken):
                found.uses += 1
                if found.forced_expired:
                    raise ApiError(401, "expired_auth_token", "authorization token has expired")
            if found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "authorization token has expired")
            return self._key_of(found.key_id), found

    def begin_upload(
        self, token: str | None, *, bucket_id: str | None = None, large_file_id: str | None = None
    ) -> tuple[Key, UploadToken]:
        """Claim an upload token for one upload (released by ``end_upload``)."""
        with self.lock:
            found = self._token(token)
            if (
                not isinstance(found, UploadToken)
                or found.bucket_id != (bucket_id or found.bucket_id)
                or found.large_file_id != large_file_id
            ):
                raise ApiError(401, "bad_auth_token", "this token is not valid for this upload URL")
            if found.dead:
                raise ApiError(
                    401, "bad_auth_token", "this upload URL failed before; get a new one"
                )
            if found.expires_at <= self.now_ms():
                raise ApiError(401, "expired_auth_token", "upload authorization token has expired")
            key = self._key_of(found.key_id)
            if found.busy:
                raise ApiError(
                    400, "auth_token_limit", f"more than one upload using auth token {found.token}"
                )
            found.busy = True
            return key, found

    def end_upload(self, token: UploadToken, *, failed: bool) -> None:
        with self.lock:
            token.busy = False
            if failed:
                # a dead upload URL answers like an unknown one: forget it (bounded memory)
                token.dead = True
                self.tokens.forget(token.token)

    def create_key(
        self,
        key: Key,
        *,
        name: object,
        capabilities: object,
        valid_duration: object,
        bucket_ids: list[str] | None,
        name_prefix: object,
    ) -> Key:
        require(key, "writeKeys")
        key_name = check_key_name(name)
        caps = check_capabilities(capabilities, bucket_restricted=bucket_ids is not None)
        if name_prefix is not None and not isinstance(name_prefix, str):
            raise bad_request("namePrefix must be a string")
        expiration = None
        if valid_duration is not None and (
            not isinstance(valid_duration, int)
            or isinstance(valid_duration, bool)
            or not 1 <= valid_duration < MAX_KEY_SECONDS
        ):
            raise bad_request("validDurationInSeconds must be from 1 to 86399999")
        with self.lock:
            if bucket_ids is not None:
                if not bucket_ids:
                    raise bad_request("bucketIds must not be empty")
                for bucket_id in bucket_ids:
                    self.get_bucket(bucket_id)
            if valid_duration is not None:
                expiration = self.now_ms() + int(valid_duration) * 1000
            new = Key(
                key_id=ids.key_id(self.account_id),
                secret=ids.application_key(),
                name=key_name,
                capabilities=caps,
                expiration=expiration,
                bucket_ids=list(bucket_ids) if bucket_ids is not None else None,
                name_prefix=name_prefix or None,
            )
            row = key_row(new)
            self.db.execute(f"INSERT INTO keys VALUES ({', '.join('?' * len(row))})", row)
            self.keys[new.key_id] = new
            return new

    def delete_key(self, key: Key, key_id: object) -> Key:
        require(key, "deleteKeys")
        with self.lock:
            target = self.keys.get(key_id) if isinstance(key_id, str) else None
            if target is None or target.is_master:
                raise bad_request(f"application key {key_id} does not exist or is the master key")
            del self.keys[target.key_id]
            self.db.execute("DELETE FROM keys WHERE key_id = ?", (target.key_id,))
            return target

    def list_keys(
        self, key: Key, *, max_count: object, start_key_id: object
    ) -> tuple[list[Key], str | None]:
        require(key, "listKeys")
        count = 100 if max_count in (None, 0) else max_count
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10_000:
            raise bad_request("maxKeyCount must be from 1 to 10000")
        if start_key_id is not None and not isinstance(start_key_id, str):
            raise bad_request("startApplicationKeyId must be a string")
        with self.lock:
            ids = sorted(
                k
                for k, value in self.keys.items()
                if not value.is_master and (start_key_id is None or k >= start_key_id)
            )
            page = [self.keys[k] for k in ids[:count]]
            return page, (ids[count] if len(ids) > count else None)

    def get_upload_url(self, key: Key, bucket_id: object) -> UploadToken:
        bucket = self._bucket_for_files(key, bucket_id, "writeFiles")
        return self._upload_token(key, bucket.bucket_id, None)

    def get_upload_part_url(self, key: Key, file_id: object) -> UploadToken:
        version = self.unfinished(key, file_id)
        return self._upload_token(key, version.bucket_id, version.file_id)

    def _upload_token(self, key: Key, bucket_id: str, large_file_id: str | None) -> UploadToken:
        """A new upload URL's token: for files of a bucket, or the parts of one large file."""
        with self.lock:
            token = UploadToken(
                token=ids.upload_token(self.account_id, part=large_file_id is not None),
                key_id=key.key_id,
                bucket_id=bucket_id,
                large_file_id=large_file_id,
                expires_at=self.now_ms() + self.token_lifetime_ms,
            )
            self.tokens.save(token)
            return token

    def get_download_authorization(self, key: Key, params: dict[str, Any]) -> DownloadToken:
        bucket = self._bucket_for_files(key, params.get("bucketId"), "shareFiles")
        prefix = params.get("fileNamePrefix")
        if not isinstance(prefix, str):
            raise bad_request("fileNamePrefix is required")
        require_list_prefix(key, prefix)
        duration = params.get("validDurationInSeconds")
        if (
            not isinstance(duration, int)
            or isinstance(duration, bool)
            or not 1 <= duration <= MAX_DOWNLOAD_AUTH_SECONDS
        ):
            raise bad_request("validDurationInSeconds must be from 1 to 604800")
        overrides = {}
        for name in (
            "b2ContentDisposition",
            "b2ContentLanguage",
            "b2Expires",
            "b2CacheControl",
            "b2ContentEncoding",
            "b2ContentType",
        ):
            value = params.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise bad_request(f"{name} must be a string")
                overrides[name] = value
        with self.lock:
            token = DownloadToken(
                token=ids.download_token(self.account_id),
                key_id=key.key_id,
                bucket_id=bucket.bucket_id,
                prefix=prefix,
                expires_at=self.now_ms() + duration * 1000,
                overrides=overrides,
            )
            self.tokens.save(token)
            return token

    def resolve_download(
        self,
        auth: tuple[Key, AccountToken | DownloadToken] | None,
        *,
        bucket_name: str | None = None,
        file_name: str | None = None,
        file_id: str | None = None,
        overrides: dict[str, str],
    ) -> tuple[FileVersion, Bucket]:
        """Find the version a download serves and check the caller may read it."""
        key, grant = auth if auth is not None else (None, None)
        if file_id is not None:
            version = self.get_file(file_id)
            if grant is not None and isinstance(grant, DownloadToken):
                raise unauthorized("download authorization tokens only work with download by name")
            if version is None or version.action != "upload":
                if key is not None:
                    require(key, "readFiles")
                raise not_found(f"file not found: {file_id}")
            bucket = self.get_bucket(version.bucket_id)
        else:
            found = self.bucket_by_name(bucket_name or "")
            if found is None:
                raise not_found(f"bucket not found: {bucket_name}")
            bucket = found
            current = self.current_version(bucket.bucket_id, file_name or "")
            version = current if current is not None and current.action == "upload" else None
        if grant is None:
            if bucket.type != "allPublic":
                raise ApiError(401, "missing_auth_token", "this bucket is private; authorize first")
            if overrides:
                raise ApiError(
                    401, "missing_auth_token", "b2* query parameters need an authorization token"
                )
        elif isinstance(grant, DownloadToken):
            name = file_name or ""
            if grant.bucket_id != bucket.bucket_id or not name.startswith(grant.prefix):
                raise unauthorized("the download authorization does not cover this file")
            for field, value in grant.overrides.items():
                if overrides.get(field) != value:
                    raise unauthorized(f"the download authorization requires {field}={value!r}")
        else:
            assert key is not None
            require(key, "readFiles")
            require_bucket(key, bucket.bucket_id)
            require_name(key, file_name if version is None else version.name)  # type: ignore[arg-type]
        if version is None:
            raise not_found(f"file not found: {file_name}")
        return version, bucket
