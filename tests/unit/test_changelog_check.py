"""scripts/changelog_check.py: a change to what users run since the last release needs a changelog fragment. Shown on
a throw-away git repository: nothing released, released and unchanged, changed without and with a fragment; the
release found by its tag, or in a clone without tags by the commit that added it to changelogs/changelog.yaml."""
import importlib.util
import pathlib
import subprocess

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / 'scripts' / 'changelog_check.py'
spec = importlib.util.spec_from_file_location('changelog_check', SCRIPT)
changelog_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(changelog_check)


def git(repo, *args):
    subprocess.run(['git', '-C', str(repo), '-c', 'user.name=t', '-c', 'user.email=t@t'] + list(args), check=True,
                   capture_output=True)


def release(repo, tag):
    """A release 1.0.0 recorded in changelogs/changelog.yaml (as antsibull-changelog release does), tagged or not."""
    (repo / 'changelogs' / 'changelog.yaml').write_text('ancestor: null\nreleases:\n  1.0.0:\n    release_date: 2026-12-07\n')
    git(repo, 'add', '.')
    git(repo, 'commit', '-q', '-m', 'Release 1.0.0')
    if tag:
        git(repo, 'tag', '1.0.0')
    return subprocess.run(['git', '-C', str(repo), 'rev-parse', 'HEAD'], capture_output=True, text=True, check=True).stdout.strip()


def test_a_change_since_the_release_needs_a_fragment(tmp_path):
    for tagged in (True, False):
        repo = tmp_path / ('tagged' if tagged else 'untagged')
        (repo / 'plugins' / 'modules').mkdir(parents=True)
        (repo / 'changelogs' / 'fragments').mkdir(parents=True)
        (repo / 'plugins' / 'modules' / 'm.py').write_text('one\n')
        git(repo, 'init', '-q')
        git(repo, 'add', '.')
        git(repo, 'commit', '-q', '-m', 'first')
        assert changelog_check.missing_fragment(repo) is None  # nothing released
        commit = release(repo, tagged)
        assert changelog_check.missing_fragment(repo) is None  # released, unchanged
        (repo / 'plugins' / 'modules' / 'm.py').write_text('two\n')
        (repo / 'docs.md').write_text('prose only\n')
        message = changelog_check.missing_fragment(repo)
        assert 'since release %s (plugins/modules/m.py)' % ('1.0.0' if tagged else commit) in message
        (repo / 'changelogs' / 'fragments' / 'm.yml').write_text('bugfixes:\n  - m - two.\n')
        assert changelog_check.missing_fragment(repo) is None
