# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a repository's TUF metadata expires: read every role's metadata from the notary server, and say
per role its expiry, days left, whether it has expired and whether it is inside a window.

Notary 0.7 signs root for 10 years, targets, snapshot and delegations for 3 years, and the timestamp for
14 days (const.go). The server re-signs an expired timestamp itself (server/timestamp), so the timestamp is
reported but never "due"; every other role is renewed only by a publish that re-signs it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

TOP_ROLES = ('root', 'targets', 'snapshot', 'timestamp')
SERVER_RENEWED = ('timestamp',)
GO_TIME_RE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$')


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_time(text):
    """A time as notary writes it (RFC 3339, nanoseconds), timezone-aware UTC."""
    match = GO_TIME_RE.match(text or '')
    if not match:
        raise TrustError('not an RFC 3339 time: %r' % (text,))
    base, fraction, zone = match.groups()
    moment = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S')
    moment = moment.replace(microsecond=int((fraction or '0')[:6].ljust(6, '0')))
    offset = datetime.timedelta(0) if zone == 'Z' else datetime.timedelta(
        hours=int(zone[1:3]), minutes=int(zone[4:6])) * (1 if zone[0] == '+' else -1)
    return (moment - offset).replace(tzinfo=datetime.timezone.utc)


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def role_expiry(role, signed, now, window_days):
    """What one role's signed metadata says of its expiry, against now and a window of window_days."""
    expires = parse_time(signed.get('expires'))
    left = expires - now
    expired = left.total_seconds() <= 0
    return dict(expires=format_time(expires), days_left=int(left.total_seconds() // 86400),
                version=signed.get('version'), expired=expired,
                due=role not in SERVER_RENEWED and (expired or left < datetime.timedelta(days=window_days)),
                renewed_by='server' if role in SERVER_RENEWED else 'publish')


def delegation_names(targets_signed):
    """The delegated roles a targets (or delegation) metadata names."""
    return [r['name'] for r in ((targets_signed or {}).get('delegations') or {}).get('roles') or []]


def read_roles(metadata, gun):
    """{role: signed part} of every role of gun with metadata on the server: root, targets, snapshot,
    timestamp and every delegation reachable from targets. metadata(gun, role) returns the signed part or
    None (404). None when the repository has no trust data."""
    roles = {}
    for role in TOP_ROLES:
        signed = metadata(gun, role)
        if signed is None:
            if role == 'root':
                return None
            continue
        roles[role] = signed
    pending = delegation_names(roles.get('targets'))
    while pending:
        role = pending.pop(0)
        if role in roles:
            continue
        signed = metadata(gun, role)
        if signed is not None:  # a delegation nobody has signed into has no metadata, nothing to expire
            roles[role] = signed
            pending.extend(delegation_names(signed))
    return roles


def expiry_report(roles, window_days, now=None):
    """Per role its expiry; the roles expired and due; and the soonest expiry of the roles a publish renews."""
    now = now or utc_now()
    report = dict((role, role_expiry(role, signed, now, window_days)) for role, signed in sorted(roles.items()))
    owned = sorted((r for r in report if r not in SERVER_RENEWED), key=lambda r: report[r]['expires'])
    soonest = dict(role=owned[0], expires=report[owned[0]]['expires'], days_left=report[owned[0]]['days_left']) \
        if owned else None
    return dict(roles=report, window_days=window_days,
                expired=[r for r in sorted(report) if report[r]['expired']],
                due=[r for r in sorted(report) if report[r]['due']], soonest=soonest)
