"""Training needs (besoins de formation): record, spot look-alikes, vote, plan, close.

A need gets a short number per establishment. Its author is its first
supporter; colleagues add theirs with ``+1``. The referent plans a session
(directly or from a date poll posted in the room), closes the need, or forwards
it to the academy team (DANE). The newsletter reads ``top_needs`` and
``upcoming_sessions``.

- ``needs``: the needs and their supporters, and the digest's count by theme;
- ``sessions``: the session planned for a need, listed and counted;
- ``polls``: the date polls posted for a need and the answers given;
- ``words``: the two small text tools the family needs, the keyword table that
  suggests CRCN domain tags and the word-overlap similarity that catches a need
  typed twice.

Everything is importable from ``storage.formation`` itself.
"""

from storage.formation.needs import (
    CLOSED,
    DANE,
    NO_THEME,
    OPEN,
    OTHER_THEME,
    PLANNED,
    TrainingNeed,
    answer_from_dane,
    close_need,
    find_need,
    find_similar_need,
    forward_to_dane,
    need_of_message,
    needs_by_theme_per_period,
    needs_with_status,
    record_need,
    remember_need_message,
    supporters,
    theme_of,
    top_needs,
    vote,
    withdraw_vote,
)
from storage.formation.polls import (
    DateTally,
    PollOption,
    PollResult,
    TrainingPoll,
    attach_poll,
    find_poll,
    open_poll_results,
    poll_result,
    record_poll_response,
)
from storage.formation.sessions import (
    TrainingSession,
    plan_session,
    sessions_per_period,
    upcoming_sessions,
)
from storage.formation.words import (
    CRCN_LABELS,
    CRCN_TAGS,
    MAX_SUGGESTED_TAGS,
    SIMILAR_JACCARD,
    STOP_WORDS,
    TAG_ALIASES,
    TAG_KEYWORDS,
    looks_similar,
    need_words,
    normalize_tag,
    normalize_tags,
    similarity,
    suggest_tags,
)

__all__ = [
    "CLOSED",
    "CRCN_LABELS",
    "CRCN_TAGS",
    "DANE",
    "MAX_SUGGESTED_TAGS",
    "NO_THEME",
    "OPEN",
    "OTHER_THEME",
    "PLANNED",
    "SIMILAR_JACCARD",
    "STOP_WORDS",
    "TAG_ALIASES",
    "TAG_KEYWORDS",
    "DateTally",
    "PollOption",
    "PollResult",
    "TrainingNeed",
    "TrainingPoll",
    "TrainingSession",
    "answer_from_dane",
    "attach_poll",
    "close_need",
    "find_need",
    "find_poll",
    "find_similar_need",
    "forward_to_dane",
    "looks_similar",
    "need_of_message",
    "need_words",
    "needs_by_theme_per_period",
    "needs_with_status",
    "normalize_tag",
    "normalize_tags",
    "open_poll_results",
    "plan_session",
    "poll_result",
    "record_need",
    "record_poll_response",
    "remember_need_message",
    "sessions_per_period",
    "similarity",
    "suggest_tags",
    "supporters",
    "theme_of",
    "top_needs",
    "upcoming_sessions",
    "vote",
    "withdraw_vote",
]
