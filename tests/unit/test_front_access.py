"""The front's rules: what preflight refuses (front_access_errors) and what nginx is told (front_access_verdicts).
The verdicts are tried here with Python's re, which reads these patterns as PCRE (nginx) does; the real nginx
answers are tested against the stack in molecule/default/tests/test_access.py."""
import re

import pytest

from ansible_collections.dct.trust_stack.plugins.filter.front_access import front_access_errors, front_access_verdicts

USERS = [{'name': n, 'password': 'x'} for n in ('admin', 'alice', 'bob', 'reader', 'lead-a', 'ops.team')]
RULES = [
    {'repository': 'team-a/*', 'pull': ['reader'], 'push': ['alice'], 'admin': ['lead-a']},
    {'repository': 'team-b/app', 'push': ['bob']},
]


def verdict(entries, user, action, repo):
    key = '%s|%s|%s' % (user, action, repo)
    for pattern, answer in entries:
        if re.search(pattern[1:], key):  # strip nginx's leading ~
            return answer
    return 403


@pytest.mark.parametrize('user,action,repo,expected', [
    ('alice', 'push', 'team-a/app', 204),
    ('alice', 'pull', 'team-a/deep/app', 204),
    ('alice', 'admin', 'team-a/app', 403),
    ('alice', 'push', 'team-b/app', 403),
    ('alice', 'push', 'team-a', 403),          # team-a/* is below team-a, not team-a itself
    ('alice', 'push', 'team-ab/app', 403),     # a prefix is a path prefix, not a string prefix
    ('reader', 'pull', 'team-a/app', 204),
    ('reader', 'push', 'team-a/app', 403),
    ('lead-a', 'admin', 'team-a/app', 204),
    ('lead-a', 'admin', '', 403),              # the whole changefeed is for administrators of everything
    ('bob', 'push', 'team-b/app', 204),
    ('bob', 'push', 'team-b/app2', 403),       # an exact name is exact
    ('bob', 'login', '', 204),
    ('admin', 'admin', '', 204),
    ('admin', 'push', 'anything/at/all', 204),
    ('admin', 'deny', '', 403),                # an unknown route is refused even for administrators
    ('', 'pull', 'team-a/app', 401),
    ('', 'login', '', 401),
    ('ops.team', 'pull', 'team-a/app', 403),
])
def test_verdicts(user, action, repo, expected):
    assert verdict(front_access_verdicts(RULES, ['admin']), user, action, repo) == expected


@pytest.mark.parametrize('user,repo,expected', [
    ('ops.team', 'ops.tools/app', 204),
    ('opsxteam', 'ops.tools/app', 403),       # the dot in a user name is a dot, not any character
    ('ops.team', 'opsxtools/app', 403),       # ... and in a repository name
])
def test_a_dot_matches_only_a_dot(user, repo, expected):
    rules = [{'repository': 'ops.tools/*', 'push': ['ops.team']}]
    assert verdict(front_access_verdicts(rules, ['admin']), user, 'push', repo) == expected


def test_anonymous_pull_opens_reads_only():
    entries = front_access_verdicts(RULES, ['admin'], anonymous_pull=True)
    assert verdict(entries, '', 'pull', 'team-a/app') == 204
    assert verdict(entries, '', 'push', 'team-a/app') == 401
    assert verdict(entries, '', 'login', '') == 401


def test_good_rules_have_no_errors():
    assert front_access_errors(RULES, USERS, ['alice']) == []


@pytest.mark.parametrize('rules,users,admins,message', [
    ([{'repository': 'a/*', 'write': ['alice']}], USERS, [], 'unknown action write'),
    ([{'repository': 'a/*', 'push': ['mallory']}], USERS, [], 'push names mallory, who is not in front_users'),
    ([], USERS + [{'name': 'carol'}], [], 'user carol has no password'),
    ([], USERS + [{'name': 'carol', 'password': ''}], [], 'user carol has no password'),
    ([], USERS + [{'name': 'alice', 'password': 'y'}], [], 'user alice is listed twice'),
    ([], USERS + [{'name': 'no spaces', 'password': 'y'}], [], "front_users[6]: a name of 1-64"),
    ([], USERS, ['mallory'], 'front_admins: mallory is not in front_users'),
    ([{'repository': 'a/*', 'push': ['alice']}, {'repository': 'a/b', 'pull': ['bob']}], USERS, [],
     'front_rules[1] (a/b) overlaps front_rules[0] (a/*)'),
    ([{'repository': 'a/b/*'}, {'repository': 'a/*'}], USERS, [], 'front_rules[1] (a/*) overlaps front_rules[0] (a/b/*)'),
    ([{'repository': 'a/b'}, {'repository': 'a/b'}], USERS, [], 'overlaps'),
    ([{'repository': '*'}, {'repository': 'x/y'}], USERS, [], 'overlaps'),
    ([{'repository': 'Team/App'}], USERS, [], 'front_rules[0] (Team/App): repository must be a repository path'),
    ([{'repository': 'localhost:5000/a'}], USERS, [], 'without a registry host'),
    ([{'repository': 'a*'}], USERS, [], 'repository must be'),
    ([{'repository': 'a/*/b'}], USERS, [], 'repository must be'),
    ([{'pull': ['alice']}], USERS, [], 'front_rules[0] (None): repository must be'),
    ([{'repository': 'a/*', 'pull': 'alice'}], USERS, [], 'pull must be a list'),
    (['a/*'], USERS, [], 'front_rules[0] must be a dict'),
])
def test_bad_rules_are_named(rules, users, admins, message):
    errors = front_access_errors(rules, users, admins)
    assert any(message in e for e in errors), errors


def test_no_overlap_between_siblings_or_string_prefixes():
    rules = [{'repository': 'a/*'}, {'repository': 'ab/*'}, {'repository': 'b/c'}, {'repository': 'b/cd'}]
    assert front_access_errors(rules, USERS) == []


def test_a_generated_user_counts_as_known_without_being_listed():
    rules = [{'repository': 'a/*', 'admin': ['admin']}]
    users = [u for u in USERS if u['name'] != 'admin']
    assert front_access_errors(rules, users, ['admin'], generated=['admin']) == []
    assert any('admin names admin, who is not in front_users' in e for e in front_access_errors(rules, users))
