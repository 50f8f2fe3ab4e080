"""Stand-in for pip's get-pip.py bootstrap script, for ansible-test on machines
that reach PyPI but not ci-files.testing.ansible.com.

ansible-test runs the bootstrap script with pip's arguments (the pinned pip
version and packages). This one bootstraps pip with the interpreter's own
ensurepip, then installs what it was asked for from the configured index.
`make sanity` copies it to ~/.ansible/test/cache/get_pip_<version>.py.
"""
import subprocess
import sys

GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)
