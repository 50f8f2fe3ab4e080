"""make changelog: every user-visible change comes with a changelog fragment.

A change since the last release (the newest tag that is a version, e.g. 1.0.0) to what users run (plugins/, roles/,
playbooks/, meta/runtime.yml) needs at least one fragment in changelogs/fragments/ (antsibull-changelog release
empties it); antsibull-changelog lint checks the fragments themselves. Before any release there is nothing to check."""
import pathlib
import subprocess
import sys

USER_VISIBLE = ('plugins', 'roles', 'playbooks', 'meta/runtime.yml')


def git(root, *args):
    return subprocess.run(['git', '-C', str(root)] + list(args), capture_output=True, text=True, check=False)


def missing_fragment(root):
    """None when the rule holds, else the message that names the last release and what changed since."""
    root = pathlib.Path(root)
    tag = git(root, 'describe', '--tags', '--abbrev=0', '--match', '[0-9]*.[0-9]*.[0-9]*')
    if tag.returncode != 0:
        return None  # nothing was released yet
    release = tag.stdout.strip()
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
