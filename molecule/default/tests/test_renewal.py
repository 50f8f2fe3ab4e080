"""A leaf certificate inside its renewal window is renewed on the next run and the services serve it
(issue 7). The window is moved rather than the clock: with pki_leaf_valid_days 366 and pki_renew_days 365,
every current leaf (issued for 365 days) has fewer than 365 days left, and a renewed one has more."""
import json
import os
import socket
import ssl

import requests
from cryptography import x509

from conftest import NOTARY_PORT, REGISTRY_PORT, STACK, ca_cert, inspect_container, run

WINDOW = {'pki_leaf_valid_days': 366, 'pki_renew_days': 365}


def served_serial(port):
    ctx = ssl.create_default_context(cafile=ca_cert())
    with socket.create_connection(('127.0.0.1', port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname='localhost') as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).serial_number


def file_serial(service, name):
    with open(f'/etc/dct-trust-stack/{STACK}/{service}/{name}', 'rb') as f:
        return x509.load_pem_x509_certificate(f.read()).serial_number


def converge(tmp_path):
    extra = tmp_path / 'window.json'
    extra.write_text(json.dumps(WINDOW))
    inventory = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
    out = run(['ansible-playbook', '-i', inventory, '-e', f'@{extra}',
               os.path.join(os.environ['MOLECULE_SCENARIO_DIRECTORY'], 'converge.yml')], timeout=900).stdout
    return {m.split()[0]: m for m in out.splitlines() if 'ok=' in m and 'changed=' in m}


def test_a_leaf_in_its_renewal_window_is_renewed_served_and_then_left_alone(tmp_path):
    before = {'notary': served_serial(NOTARY_PORT), 'registry': served_serial(REGISTRY_PORT),
              'signer': file_serial('notary_signer', 'notary-signer.crt')}
    signer_started = inspect_container('notary_signer')['State']['StartedAt']
    first = converge(tmp_path)
    assert 'changed=0' not in first['localhost'], first
    after = {'notary': served_serial(NOTARY_PORT), 'registry': served_serial(REGISTRY_PORT),
             'signer': file_serial('notary_signer', 'notary-signer.crt')}
    for name in before:
        assert after[name] != before[name], f'{name}: the certificate was not renewed'
    # the signer restarted onto its new certificate, and notary-server (its mTLS client) still reaches it
    assert inspect_container('notary_signer')['State']['StartedAt'] != signer_started
    health = requests.get(f'https://localhost:{NOTARY_PORT}/_notary_server/health', verify=ca_cert(), timeout=10)
    assert health.status_code == 200, health.text
    second = converge(tmp_path)
    assert 'changed=0' in second['localhost'], second
    assert served_serial(NOTARY_PORT) == after['notary']
