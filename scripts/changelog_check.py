"""make changelog: every user-visible change comes with a changelog fragment.

A change since the last release (the newest release in changelogs/changelog.yaml: its tag, or, in a clone without
tags, the commit that added that release to changelog.yaml) to what users run (plugins/, roles/, playbooks/,
meta/runtime.yml) needs at least one fragment in changelogs/fragments/ (antsibull-changelog release empties it);
antsibull-changelog lint checks the fragments themselves. Before any release there is nothing to check."""
import pathlib
import subprocess
import sys

import yaml
from ansible.module_utils.compat.version import LooseVersion

USER_VISIBLE = ('plugins', 'roles', 'playbooks', 'meta/runtime.yml')


def git(root, *args):
    return subprocess.run(['git', '-C', str(root)] + list(args), capture_output=True, text=True, check=False)


def last_release(root):
    """The git revision of the newest release changelog.yaml records, or None before the first release."""
    changelog = root / 'changelogs' / 'changelog.yaml'
    releases = (yaml.safe_load(changelog.read_text()) or {}).get('releases') if changelog.is_file() else None
    if not releases:
        return None
    version = str(max(releases, key=lambda v: LooseVersion(str(v))))
    if git(root, 'rev-parse', '-q', '--verify', f'refs/tags/{version}').returncode == 0:
        return version
    added = git(root, 'log', '--format=%H', '-S', f'\n  {version}:', '--', 'changelogs/changelog.yaml').stdout.split()
    if not added:
        raise SystemExit(f'make changelog: release {version} is in changelogs/changelog.yaml, but neither a tag {version} '
                         'nor the commit that added it is in this clone')
    return added[-1]


def missing_fragment(root):
    """None when the rule holds, else the message that names the last release and what changed since."""
    root = pathlib.Path(root)
    release = last_release(root)
    if release is None:
        return None  # nothing was released yet
    # the working tree against the release: committed and uncommitted changes, and new files git already tracks
    changed = git(root, 'diff', '--name-only', release, '--', *USER_VISIBLE).stdout.split()
    changed += git(root, 'ls-files', '--others', '--exclude-standard', '--', *USER_VISIBLE).stdout.split()
    fragments = sorted(p.name for p in (root / 'changelogs' / 'fragments').glob('*.y*ml'))
    if changed and not fragments:
        return ('changelogs/fragments/ has no fragment, but %d file(s) users run changed since release %s (%s): add a '
                'fragment saying what changed for them (docs/UPGRADING.md, "Changelog")'
                % (len(changed), release, ', '.join(sorted(set(changed))[:5])))
    return None


if __name__ == '__main__':
    message = missing_fragment(pathlib.Path(__file__).resolve().parents[1])
    if message:
        print('make changelog: ' + message)
        sys.exit(1)
    print('make changelog: every change since the last release has a fragment (or nothing was released yet)')
