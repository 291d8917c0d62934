"""The three-way merge of a till's copy of an order into the server's copy, line by line.

The original refused every update whose revision was not the server's latest, so two tills
adding products to one order at the same time lost one till's lines (pos-addons #348). Here
the server remembers, per order, the revision at which each line last changed (its *stamp*),
the revision at which each removed line was removed (its *tombstone*), and the revision at
which the rest of the order, its *header*, last changed. A till sends its copy with the server
revision B it was based on; with the server at revision R:

* B == R: the till saw everything, its copy is taken whole.
* otherwise, per line uid:
  - on both sides and equal: kept;
  - on both sides and different: the till's version if the server's stamp ≤ B (only the till
    changed it), else a conflict and the server's version stays (someone changed it after B);
  - only in the till's copy: a line it added, unless a tombstone > B says someone removed it
    after B (a conflict; it stays removed);
  - only on the server: kept if its stamp > B (added or changed after B; a conflict if the
    till had it at B, since it removed it), else the till removed it (tombstone).
* the header likewise as one unit, and only when the till's header differs.

Any change makes revision R + 1. A "conflict" is reported only when the till had changed,
added or removed that line (or changed the header) itself and that change lost: with
`versions` (digests of the last versions of each line and of the header, by revision) a till
that merely still holds the version of its base B loses nothing and is not told of a
conflict. Nothing here touches the database.
"""
import hashlib
import json
from dataclasses import dataclass, field

# Keys that describe one send or are set by the server, not edits of the order: never
# compared, never a conflict. The server overrides uid, sequence_number and run_ID.
# The original client's export also carries what each till works out for itself (totals from
# the lines, its own session, user and clock, its payments in progress, whether it has
# synced): they follow the last send too.
SEND_KEYS = frozenset({"revision_ID", "nonce", "message_ID", "pos_id", "new_order",
                       "uid", "sequence_number", "run_ID",
                       "amount_paid", "amount_total", "amount_tax", "amount_return", "user_id",
                       "pos_session_id", "creation_date", "order_on_server", "statement_ids"})
NOT_STORED = frozenset({"revision_ID", "nonce", "message_ID"})
EDITOR_KEY = "ms_info"  # who created / last changed the order: follows the last applied change
# Line keys each till sets for itself (its local id, the server's change flag): not content.
LINE_LOCAL_KEYS = frozenset({"id", "is_changed"})
HEADER = "header"  # how a header conflict is named among the conflicting line uids
KEPT_VERSIONS = 20  # per line and for the header; an older base falls back to "conflict"


@dataclass(frozen=True)
class MergeResult:
    """The merged order and the bookkeeping to store with it.

    `order`: the order to store and broadcast (lines flagged `is_changed` when they changed
    in this revision, as the original's receivers expect); `conflicts`: the uids of the lines,
    and "header", where the till's own change lost to a later one; `changed`: whether
    anything of the till's was applied (`revision` is then the previous one + 1);
    `versions`: {"lines": {uid: [[revision, digest], ...]}, "header": [[revision, digest]]}."""
    order: dict
    stamps: dict
    tombstones: dict
    header_stamp: int
    revision: int
    conflicts: list = field(default_factory=list)
    changed: bool = False
    versions: dict = field(default_factory=dict)


def header_of(order):
    """The order without its lines, its send bookkeeping and its editor."""
    return {key: value for key, value in order.items()
            if key != "lines" and key != EDITOR_KEY and key not in SEND_KEYS}


def line_content(line):
    return {key: value for key, value in line.items() if key not in LINE_LOCAL_KEYS}


def digest(content):
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def lines_by_uid(order):
    return {line["uid"]: line for line in order.get("lines") or []}


def held_since(history, base, content):
    """Whether `content` is the version the server had at revision `base`: the till holding
    it did not change it. Unknown (not kept) counts as changed."""
    at_base = [entry for entry in history if entry[0] <= base]
    return bool(at_base) and at_base[-1][1] == digest(content)


def had_at(history, base):
    """Whether the line existed at revision `base` (its first kept version is not later)."""
    return bool(history) and history[0][0] <= base


def _recorded(history, revision, content):
    return (list(history) + [[revision, digest(content)]])[-KEPT_VERSIONS:]


def merge_order(stored, stamps, tombstones, header_stamp, revision, incoming, base,
                versions=None):
    """Merge `incoming` (a till's order based on server revision `base`) into `stored` (the
    server's order at `revision`, None for an order not seen yet). `stamps` and `tombstones`
    map line uids to revisions, `header_stamp` is the header's; `versions` (optional) as in
    MergeResult. Requires base ≤ revision. Returns a MergeResult; the arguments are not
    changed, and the result shares their nested values (lines are new dicts, what is inside
    them is not copied): callers treat orders as values and never change one in place, so
    no deep copy is paid on every update."""
    is_new = stored is None
    if is_new:
        stored, stamps, tombstones, header_stamp, revision, base = {}, {}, {}, 0, 0, 0
    if base > revision:
        raise ValueError(f"base revision {base} is ahead of the server's {revision}")
    merge = _Merge(stamps, tombstones, revision, base, versions)
    mine, theirs = lines_by_uid(stored), lines_by_uid(incoming)
    if base == revision:
        merge.take_whole(mine, theirs)
    else:
        merge.lines_since_base(mine, theirs)
    header, header_stamp = merge.header(header_of(stored), header_of(incoming), header_stamp,
                                        is_new)
    return merge.result(stored, incoming, header, header_stamp)


class _Merge:
    """One merge under way: what it keeps (`merged`, by uid, in the order the result lists
    them), the stamps, tombstones and versions it moves on, and the conflicts it finds."""

    def __init__(self, stamps, tombstones, revision, base, versions):
        self.stamps, self.tombstones = dict(stamps), dict(tombstones)
        self.revision, self.base, self.new_revision = revision, base, revision + 1
        self.line_versions = dict((versions or {}).get("lines", {}))
        self.header_versions = list((versions or {}).get("header", []))
        self.merged, self.conflicts, self.changed = {}, [], False

    # -- what happens to one line --------------------------------------------------------------

    def keep(self, uid, line):
        self.merged[uid] = line

    def take(self, uid, line):
        """The till's version of the line, in the new revision."""
        self.merged[uid] = line
        self.stamps[uid] = self.new_revision
        self.tombstones.pop(uid, None)
        self.line_versions[uid] = _recorded(self.line_versions.get(uid, []), self.new_revision,
                                            line_content(line))
        self.changed = True

    def remove(self, uid):
        self.stamps.pop(uid, None)
        self.tombstones[uid] = self.new_revision
        self.changed = True

    def lost(self, uid, line):
        """Someone changed or removed the line after `base`: a conflict if this till had
        changed it too."""
        if not held_since(self.line_versions.get(uid, []), self.base, line_content(line)):
            self.conflicts.append(uid)

    # -- the lines -----------------------------------------------------------------------------

    def take_whole(self, mine, theirs):
        """The till saw everything (base == revision): its lines, whole."""
        for uid, line in theirs.items():
            if uid in mine and line_content(line) == line_content(mine[uid]):
                self.keep(uid, line)
            else:
                self.take(uid, line)
        for uid in mine:
            if uid not in theirs:
                self.remove(uid)

    def lines_since_base(self, mine, theirs):
        """The server's lines, each as the rules of the module say; then the till's new ones."""
        for uid, line in mine.items():
            if uid in theirs:
                self._on_both_sides(uid, line, theirs[uid])
            else:
                self._only_on_the_server(uid, line)
        for uid, line in theirs.items():
            if uid not in mine:
                self._only_at_the_till(uid, line)

    def _on_both_sides(self, uid, mine, theirs):
        if line_content(theirs) == line_content(mine):
            self.keep(uid, mine)
        elif self.stamps.get(uid, 0) <= self.base:  # only the till changed it
            self.take(uid, theirs)
        else:  # changed on the server after the till's base: the server's stays
            self.lost(uid, theirs)
            self.keep(uid, mine)

    def _only_on_the_server(self, uid, mine):
        if self.stamps.get(uid, 0) <= self.base:
            self.remove(uid)  # the till had it and removed it
            return
        self.keep(uid, mine)  # changed (or added) after the till's base: kept
        if had_at(self.line_versions.get(uid, []), self.base):
            self.conflicts.append(uid)  # the till had it and removed it: that lost

    def _only_at_the_till(self, uid, theirs):
        if self.tombstones.get(uid, 0) > self.base:
            self.lost(uid, theirs)  # removed on the server after the till's base
        else:
            self.take(uid, theirs)  # added by the till

    # -- the header and the result -------------------------------------------------------------

    def header(self, header, their_header, header_stamp, is_new):
        """(header, its stamp) after the merge: the till's when it differs and only the till
        changed it since its base."""
        if not is_new and their_header == header:
            return header, header_stamp
        if self.base == self.revision or header_stamp <= self.base:
            self.changed = True
            self.header_versions = _recorded(self.header_versions, self.new_revision,
                                             their_header)
            return their_header, self.new_revision
        if not held_since(self.header_versions, self.base, their_header):
            self.conflicts.append(HEADER)
        return header, header_stamp

    def result(self, stored, incoming, header, header_stamp):
        order = {key: value for key, value in incoming.items()
                 if key in SEND_KEYS and key not in NOT_STORED}
        order.update(header)
        editor = (incoming.get(EDITOR_KEY) if self.changed and EDITOR_KEY in incoming
                  else stored.get(EDITOR_KEY))
        if editor is not None:
            order[EDITOR_KEY] = editor
        revision = self.new_revision if self.changed else self.revision
        order["lines"] = [{**line, "is_changed": self.stamps.get(uid) == revision}
                          for uid, line in self.merged.items()]
        return MergeResult(order=order, stamps=self.stamps, tombstones=self.tombstones,
                           header_stamp=header_stamp, revision=revision,
                           conflicts=self.conflicts, changed=self.changed,
                           versions={"lines": self.line_versions,
                                     "header": self.header_versions})
