"""scripts/changelog_check.py: a change to what users run since the last release needs a changelog fragment. Shown on
a throw-away git repository: nothing released, released and unchanged, changed without and with a fragment."""
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


def test_a_change_since_the_release_needs_a_fragment(tmp_path):
    repo = tmp_path
    (repo / 'plugins' / 'modules').mkdir(parents=True)
    (repo / 'changelogs' / 'fragments').mkdir(parents=True)
    (repo / 'plugins' / 'modules' / 'm.py').write_text('one\n')
    git(repo, 'init', '-q')
    git(repo, 'add', '.')
    git(repo, 'commit', '-q', '-m', 'first')
    assert changelog_check.missing_fragment(repo) is None  # nothing released
    git(repo, 'tag', '1.0.0')
    assert changelog_check.missing_fragment(repo) is None  # released, unchanged
    (repo / 'plugins' / 'modules' / 'm.py').write_text('two\n')
    (repo / 'docs.md').write_text('prose only\n')
    message = changelog_check.missing_fragment(repo)
    assert 'since release 1.0.0 (plugins/modules/m.py)' in message
    (repo / 'changelogs' / 'fragments' / 'm.yml').write_text('bugfixes:\n  - m - two.\n')
    assert changelog_check.missing_fragment(repo) is None
