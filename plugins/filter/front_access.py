# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The front role's access rules: what is wrong with them (front_access_errors) and the nginx map entries
that enforce them (front_access_verdicts). Kept in Python so that the check and the map come from one
reading of the rules, and a unit test can try both without nginx."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

ACTIONS = ('pull', 'push', 'admin')
# what each right allows: push implies pull, admin implies both
GRANTS = {'pull': ('pull',), 'push': ('pull', 'push'), 'admin': ('pull', 'push', 'admin')}
USER_RE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')
# a repository path (docker's grammar, without a registry host), optionally ending in /* (every name below)
COMPONENT = r'[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
PATTERN_RE = re.compile(r'^(?:\*|%s(?:/%s)*(?:/\*)?)$' % (COMPONENT, COMPONENT))


def _names(pattern):
    """(prefix, is_prefix) of a pattern: '*' -> ('', True), 'a/*' -> ('a/', True), 'a/b' -> ('a/b', False)."""
    if pattern == '*':
        return '', True
    if pattern.endswith('/*'):
        return pattern[:-1], True
    return pattern, False


def _overlap(first, second):
    """Whether some repository name matches both patterns."""
    (a, a_prefix), (b, b_prefix) = _names(first), _names(second)
    if a_prefix and b_prefix:
        return a.startswith(b) or b.startswith(a)
    if a_prefix:
        return b.startswith(a)
    if b_prefix:
        return a.startswith(b)
    return a == b


def front_access_errors(rules, users, admins=None, generated=None):
    """Every problem with the rules, each naming the input: [] when they are fine. generated: names of users
    whose password the role generates when users does not list them (they count as known)."""
    errors = []
    known = set()
    for index, user in enumerate(users or []):
        name = user.get('name') if isinstance(user, dict) else None
        if not isinstance(name, str) or not USER_RE.match(name):
            errors.append('front_users[%d]: a name of 1-64 of A-Z a-z 0-9 . _ - is needed, not %r' % (index, name))
            continue
        if not user.get('password'):
            errors.append('front_users: user %s has no password' % name)
        if name in known:
            errors.append('front_users: user %s is listed twice' % name)
        known.add(name)
    known.update(generated or [])
    for name in admins or []:
        if name not in known:
            errors.append('front_admins: %s is not in front_users' % name)
    seen = []
    for index, rule in enumerate(rules or []):
        if not isinstance(rule, dict):
            errors.append('front_rules[%d] must be a dict with repository and pull/push/admin, not %r' % (index, rule))
            continue
        pattern = rule.get('repository')
        where = 'front_rules[%d] (%s)' % (index, pattern)
        unknown = sorted(set(rule) - set(ACTIONS) - set(['repository']))
        if unknown:
            errors.append('%s: unknown action %s; the actions are pull, push and admin' % (where, ', '.join(unknown)))
        if not isinstance(pattern, str) or not PATTERN_RE.match(pattern):
            errors.append('%s: repository must be a repository path (a/b), a prefix ending in /* (a/*) or *, '
                          'without a registry host' % where)
            continue
        for other_index, other in seen:
            if _overlap(pattern, other):
                errors.append('%s overlaps front_rules[%d] (%s): a repository name would match both'
                              % (where, other_index, other))
        seen.append((index, pattern))
        for action in ACTIONS:
            names = rule.get(action) or []
            if not isinstance(names, list):
                errors.append('%s: %s must be a list of user names' % (where, action))
                continue
            for name in names:
                if name not in known:
                    errors.append('%s: %s names %s, who is not in front_users' % (where, action, name))
    return errors


def _regex(pattern):
    """The PCRE matching the repository names of a pattern (names hold only a-z 0-9 . _ - /)."""
    prefix, is_prefix = _names(pattern)
    text = prefix.replace('.', '[.]')
    return text + ('.+' if is_prefix else '')


def _alternatives(names):
    return '(%s)' % '|'.join(name.replace('.', '[.]') for name in sorted(names))


def front_access_verdicts(rules, admins, anonymous_pull=False):
    """[regex, verdict] entries for the nginx map keyed by "user|action|repository"; the first match wins.
    204 allowed, 401 no credentials, 403 not allowed (the map's default)."""
    entries = []
    if admins:
        entries.append(['~^%s[|](pull|push|admin|login)[|]' % _alternatives(admins), 204])
    entries.append(['~^[^|]+[|]login[|]', 204])
    for rule in rules or []:
        for right in ACTIONS:
            names = rule.get(right) or []
            if names:
                entries.append(['~^%s[|](%s)[|]%s$' % (_alternatives(names), '|'.join(GRANTS[right]), _regex(rule['repository'])), 204])
    if anonymous_pull:
        entries.append(['~^[|]pull[|].', 204])
    entries.append(['~^[|]', 401])
    return entries


class FilterModule(object):
    def filters(self):
        return {'front_access_errors': front_access_errors, 'front_access_verdicts': front_access_verdicts}
