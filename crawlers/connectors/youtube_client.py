"""YouTube Data API v3 connector: channels' uploads and keyword searches → videos → comments.

Quota: every call is charged its documented cost (search.list 100 units; videos.list,
commentThreads.list, comments.list, channels.list, playlistItems.list 1 unit) against the
daily budget, counted per Pacific day in the state file. A call that would overrun the budget
is not sent; the run stops with status 'quota', as it does when the API answers
403 quotaExceeded. Without an API key the connector reports 'not_configured'.

Incremental: a video is fetched (videos.list) once; its comments are fetched when it is new and
re-polled while it is fresh (`fresh_hours` after publication), newest first, stopping at the
first page with nothing unseen.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from crawlers.connectors import youtube
from crawlers.connectors.api import ApiError, ConnectorRun, finish, get_json, record
from crawlers.connectors.state import ConnectorState

COSTS = {"search": 100, "videos": 1, "commentThreads": 1, "comments": 1, "channels": 1,
         "playlistItems": 1}  # units, per the API's quota cost table
IDS_PER_CALL = 50  # videos.list accepts at most 50 ids
PAGE_SIZE = 100  # commentThreads/comments.list maximum maxResults
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
AUTH_REASONS = {"keyInvalid", "keyExpired", "forbidden", "accessNotConfigured",
                "ipRefererBlocked", "authError"}
SKIP_REASONS = {"commentsDisabled", "videoNotFound"}  # one video's problem, not the run's


@dataclass
class YouTubeConfig:
    channels: list[str] = field(default_factory=list)  # channel ids (UC…)
    searches: list[str] = field(default_factory=list)  # keyword queries
    videos: list[str] = field(default_factory=list)  # individual video ids to follow
    api_key_env: str = "YOUTUBE_API_KEY"  # name of the environment variable with the key
    daily_quota: int = 10_000  # a Google Cloud project's default daily quota
    base_url: str = "https://www.googleapis.com/youtube/v3"
    fresh_hours: float = 48  # re-poll a video's comments this long after publication
    max_comment_pages: int = 5  # per video per run: 500 newest comments
    region: str = "VN"
    language: str = "vi"
    source_id: str = "youtube"


def classify(status: int, data: dict) -> tuple[str, str] | None:
    error = data.get("error")
    if not isinstance(error, dict):
        return None
    reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    message = str(error.get("message", ""))[:300]
    for names, label in ((QUOTA_REASONS, "quota"), (RATE_REASONS, "rate_limit"),
                         (AUTH_REASONS, "auth"), (SKIP_REASONS, "skip")):
        if reasons & names:
            return label, message or ", ".join(sorted(reasons))
    if status in (401, 403):
        return "auth", message
    return "http", f"HTTP {status}: {message}"


class YouTubeConnector:
    name = "youtube"

    def __init__(self, config: YouTubeConfig, state: ConnectorState, *,
                 env: Mapping[str, str] | None = None, capture=None,
                 client: httpx.Client | None = None):
        self.config, self.state, self.capture = config, state, capture
        self.key = (env if env is not None else os.environ).get(config.api_key_env, "")
        self.client = client or httpx.Client(follow_redirects=True)

    @property
    def configured(self) -> bool:
        return bool(self.key)

    def run(self, now: float | None = None) -> ConnectorRun:
        now = now if now is not None else time.time()
        run = ConnectorRun(self.name)
        if not self.configured:
            run.status = "not_configured"
            run.message = f"no API key: set the environment variable {self.config.api_key_env}"
            return finish(run, self.state, now)
        try:
            self._collect(run, now)
        except ApiError as error:
            run.fail(error)
        return finish(run, self.state, now)

    # -- calls ---------------------------------------------------------------------------------
    def _call(self, run: ConnectorRun, method: str, now: float, **params) -> dict:
        cost = COSTS[method]
        used = self.state.units_used(self.name, now)
        if used + cost > self.config.daily_quota:
            raise ApiError("quota", f"daily budget of {self.config.daily_quota} units spent "
                                    f"({used} used; {method}.list costs {cost})")
        url = f"{self.config.base_url.rstrip('/')}/{method}"
        try:
            fetched = get_json(self.client, url, {**params, "key": self.key}, classify)
        except ApiError as error:
            if error.error_class != "network":
                self._spend(run, cost, now)  # answered requests are charged, even failures
            raise
        self._spend(run, cost, now)
        run.requests.append(fetched.url)
        self._last = fetched
        return fetched.data

    def _spend(self, run: ConnectorRun, cost: int, now: float) -> None:
        self.state.spend(self.name, cost, now)
        run.units += cost

    def _keep(self, run: ConnectorRun, docs: list) -> list:
        fresh = [d for d in docs if not self.state.seen(self.name, d.id)]
        record(self._last, fresh, run, self.capture)
        self.state.mark_seen(self.name, [d.id for d in fresh])
        run.documents.extend(fresh)
        return fresh

    # -- flow ----------------------------------------------------------------------------------
    def _collect(self, run: ConnectorRun, now: float) -> None:
        ids = list(dict.fromkeys(self.config.videos + self._listed(run, now)))
        new = [v for v in ids if not self.state.seen(self.name, youtube.doc_id(v))]
        for start in range(0, len(new), IDS_PER_CALL):
            chunk = new[start:start + IDS_PER_CALL]
            data = self._call(run, "videos", now, part="snippet,statistics", id=",".join(chunk))
            for doc in self._keep(run, youtube.parse_videos(data, source_id=self.config.source_id)):
                self.state.put(f"yt:published:{doc.id}", doc.published_at.timestamp()
                               if doc.published_at else now)
        for video_id in ids:
            if video_id in new or self._fresh(video_id, now):
                self._comments(run, video_id, now)

    def _listed(self, run: ConnectorRun, now: float) -> list[str]:
        ids: list[str] = []
        for channel in self.config.channels:
            data = self._call(run, "playlistItems", now, part="contentDetails",
                              playlistId=self._uploads(run, channel, now), maxResults=IDS_PER_CALL)
            ids += youtube.video_ids(data)
        for query in self.config.searches:
            data = self._call(run, "search", now, part="id", q=query, type="video",
                              order="date", maxResults=IDS_PER_CALL,
                              regionCode=self.config.region,
                              relevanceLanguage=self.config.language)
            ids += youtube.video_ids(data)
        return ids

    def _uploads(self, run: ConnectorRun, channel: str, now: float) -> str:
        """The channel's uploads playlist: 'UC…' → 'UU…' (YouTube's fixed naming), else asked
        once with channels.list and remembered."""
        if channel.startswith("UC"):
            return "UU" + channel[2:]
        known = self.state.get(f"yt:uploads:{channel}")
        if known:
            return str(known)
        data = self._call(run, "channels", now, part="contentDetails", id=channel)
        items = data.get("items") or [{}]
        uploads = items[0].get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads")
        if not uploads:
            raise ApiError("parse", f"channel {channel!r}: no uploads playlist in the answer")
        self.state.put(f"yt:uploads:{channel}", uploads)
        return uploads

    def _fresh(self, video_id: str, now: float) -> bool:
        published = self.state.get(f"yt:published:{youtube.doc_id(video_id)}")
        return published is not None and now - float(published) < self.config.fresh_hours * 3600

    def _comments(self, run: ConnectorRun, video_id: str, now: float) -> None:
        token = None
        for _ in range(self.config.max_comment_pages):
            params = {"part": "snippet,replies", "videoId": video_id, "order": "time",
                      "maxResults": PAGE_SIZE, "textFormat": "plainText"}
            try:
                data = self._call(run, "commentThreads", now,
                                  **params, **({"pageToken": token} if token else {}))
            except ApiError as error:
                if error.error_class == "skip":
                    return
                raise
            kept = self._keep(run, youtube.parse_comment_threads(
                data, source_id=self.config.source_id))
            self._more_replies(run, data, video_id, now)
            token = data.get("nextPageToken")
            if not token or not kept:
                return

    def _more_replies(self, run: ConnectorRun, data: dict, video_id: str, now: float) -> None:
        for thread in data.get("items", []):
            snippet = thread.get("snippet") or {}
            inline = len((thread.get("replies") or {}).get("comments", []))
            total, key = snippet.get("totalReplyCount") or 0, f"yt:replies:{thread.get('id')}"
            if total > inline and total > int(self.state.get(key, 0)):  # inlined: at most 5
                self._replies(run, thread["id"], video_id, now)
                self.state.put(key, total)

    def _replies(self, run: ConnectorRun, parent: str, video_id: str, now: float) -> None:
        token = None
        for _ in range(self.config.max_comment_pages):
            data = self._call(run, "comments", now, part="snippet", parentId=parent,
                              maxResults=PAGE_SIZE, textFormat="plainText",
                              **({"pageToken": token} if token else {}))
            kept = self._keep(run, youtube.parse_comments(
                data, video_id=video_id, source_id=self.config.source_id))
            token = data.get("nextPageToken")
            if not token or not kept:
                return
