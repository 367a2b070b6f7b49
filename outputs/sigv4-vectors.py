#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# ferry: the expected SigV4 signatures of outputs/test-sigv4.c,
# computed independently by Debian's botocore (python3-botocore 1.29):
#
#   /usr/bin/python3 outputs/sigv4-vectors.py
#
# prints one C initialiser a case (name, the request as ferry signs it,
# the expected Authorization header), pasted into test-sigv4.c.  The
# headers given to botocore are exactly the ones ferry signs: the
# caller's, Host (botocore derives it from the URL, without the
# default port), X-Amz-Date, X-Amz-Security-Token with a session
# token, and X-Amz-Content-SHA256 when the case sets it.

import base64
import datetime
import hashlib
import types

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def fixed_clock(*when):
    class Fixed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return cls(*when)
    botocore.auth.datetime = types.SimpleNamespace(datetime=Fixed)


def c_str(s):
    out = '"'
    for b in s.encode('utf-8'):
        c = chr(b)
        if c in '"\\':
            out += '\\' + c
        elif 32 <= b < 127:
            out += c
        else:
            out += '\\x%02x""' % b
    return out + '"'


def case(name, method, url, headers, body=b'', *, s3=False,
         content_sha256=None, token=None, region='us-east-1',
         service='service', akid='AKIDEXAMPLE',
         secret='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
         when=(2015, 8, 30, 12, 36, 0)):
    fixed_clock(*when)
    creds = botocore.credentials.Credentials(akid, secret, token)
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
    for k, v in headers:
        req.headers[k] = v          # HTTPHeaders: a repeated name appends
    flags = []
    if s3:
        flags.append('SIGV4_S3')
        auth = botocore.auth.S3SigV4Auth(creds, service, region)
    else:
        auth = botocore.auth.SigV4Auth(creds, service, region)
    if content_sha256 is not None:
        flags.append('SIGV4_CONTENT_SHA256')
        req.headers['X-Amz-Content-SHA256'] = content_sha256
        payload = content_sha256
    else:
        payload = hashlib.sha256(body).hexdigest()
    auth.add_auth(req)
    if s3:
        # S3SigV4Auth sets X-Amz-Content-SHA256 itself, to the body's hash.
        assert req.headers['X-Amz-Content-SHA256'] == payload
    if name in PUBLISHED:
        assert req.headers['Authorization'].endswith(
            'Signature=' + PUBLISHED[name]), name
    t = datetime.datetime(*when).replace(tzinfo=datetime.timezone.utc)
    print('  { %s,' % c_str(name))
    print('    %s, %s,' % (c_str(method), c_str(url)))
    print('    { %s },' % ', '.join([c_str('%s:%s' % kv) for kv in headers]
                                    + ['NULL']))
    print('    %s, %s, %s, %s,' % (c_str(payload),
                                  ' | '.join(flags) or '0',
                                  c_str(token) if token else 'NULL',
                                  c_str(region)))
    print('    %s, %d,' % (c_str(service), int(t.timestamp())))
    print('    %s },' % c_str(req.headers['Authorization']))


STS_TOKEN = ('AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZ'
             'TwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkP'
             'pKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W'
             'Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7Z'
             'D0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx'
             '3iSIlTJabIQwj2ICCR/oLxBA==')
H = 'https://example.amazonaws.com'
UNRES = '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

# The signatures published with the suite (aws-sig-v4-test-suite, the
# .authz files, as copied into the SDKs' tests): botocore must agree.
PUBLISHED = {
    'get-vanilla': '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    'get-vanilla-query-order-key-case': 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    'get-vanilla-query-unreserved': '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
    'get-vanilla-query-order-encoded': '371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac',
    'get-vanilla-empty-query-key': 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb',
    'get-vanilla-utf8-query': '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
    'get-unreserved': '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
    'get-utf8': '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
    'get-header-value-trim': 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
    'post-vanilla': '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    'post-x-www-form-urlencoded': 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
    'post-sts-header-before': '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
    'normalize-path/get-space': '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
    'normalize-path/get-slash': '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    'normalize-path/get-slashes': '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
    'normalize-path/get-relative': '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    'normalize-path/get-relative-relative': '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    'normalize-path/get-slash-dot-slash': '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    'normalize-path/get-slash-pointless-dot': 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5',
}

print('/* AWS SigV4 test suite (aws-sig-v4-test-suite). */')
case('get-vanilla', 'GET', H + '/', [])
case('get-vanilla-query-order-key-case', 'GET',
     H + '/?Param2=value2&Param1=value1', [])
case('get-vanilla-query-unreserved', 'GET', H + '/?%s=%s' % (UNRES, UNRES), [])
case('get-vanilla-query-order-encoded', 'GET',
     H + '/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1', [])
case('get-vanilla-empty-query-key', 'GET', H + '/?Param1=value1', [])
# The suite's raw paths are given raw (ferry encodes them once, as botocore),
# its queries as on the wire.
case('get-vanilla-utf8-query', 'GET', H + '/?%E1%88%B4=bar', [])
case('get-unreserved', 'GET', H + '/' + UNRES, [])
case('get-utf8', 'GET', H + '/\u1234', [])
case('get-header-value-trim', 'GET', H + '/',
     [('My-Header1', ' value1'), ('My-Header2', ' "a   b   c"')])
case('post-vanilla', 'POST', H + '/', [])
case('post-x-www-form-urlencoded', 'POST', H + '/',
     [('Content-Type', 'application/x-www-form-urlencoded')], b'Param1=value1')
case('post-sts-header-before', 'POST', H + '/', [], token=STS_TOKEN)
case('normalize-path/get-space', 'GET', H + '/example space/', [])
case('normalize-path/get-slash', 'GET', H + '//', [])
case('normalize-path/get-slashes', 'GET', H + '//example//', [])
case('normalize-path/get-relative', 'GET', H + '/example/..', [])
case('normalize-path/get-relative-relative', 'GET',
     H + '/example1/example2/../..', [])
case('normalize-path/get-slash-dot-slash', 'GET', H + '/./', [])
case('normalize-path/get-slash-pointless-dot', 'GET', H + '/./example', [])

print('/* ferry\'s own requests. */')
block = b'\0' * 512 * 1024
case('ebs PutSnapshotBlock', 'PUT',
     'https://ebs.eu-west-1.amazonaws.com/snapshots/snap-0123/blocks/7',
     [('x-amz-Data-Length', '524288'),
      ('x-amz-Checksum', base64.b64encode(hashlib.sha256(block).digest()).decode()),
      ('x-amz-Checksum-Algorithm', 'SHA256'),
      ('Content-Type', 'application/octet-stream')],
     content_sha256='UNSIGNED-PAYLOAD', region='eu-west-1', service='ebs',
     akid='AKIAFERRYTEST0EXAMPLE', secret='ferry/secret/key+EXAMPLE0123456789abcdef',
     when=(2024, 5, 1, 10, 20, 30))
case('ec2 DescribeSnapshots', 'POST', 'https://ec2.eu-west-1.amazonaws.com/',
     [('Content-Type', 'application/x-www-form-urlencoded; charset=utf-8')],
     b'Action=DescribeSnapshots&SnapshotId.1=snap-1&Version=2016-11-15',
     token='FwoGZXIvYXdzEFERRY//session+token/EXAMPLE==', region='eu-west-1',
     service='ec2', akid='ASIAFERRYTEST0EXAMPLE',
     secret='ferry/secret/key+EXAMPLE0123456789abcdef',
     when=(2024, 5, 1, 10, 20, 30))
case('s3 UploadPart', 'PUT',
     'http://127.0.0.1:7480/bucket/key%20with%20space?partNumber=3&uploadId=abc',
     [], b'part three', s3=True,
     content_sha256=hashlib.sha256(b'part three').hexdigest(),
     service='s3', akid='AKIAFERRYTEST0EXAMPLE',
     secret='ferry/secret/key+EXAMPLE0123456789abcdef',
     when=(2024, 5, 1, 10, 20, 30))

print('/* Edge cases. */')
case('empty query', 'GET', H + '/a?', [])
case('param without =', 'GET', H + '/?acl&b=2', [])
case('repeated params sorted by value', 'GET', H + '/?x=b&x=a&w=', [])
case('non-s3 path encoded twice', 'GET', H + '/a%20b/%E1%88%B4/c~d', [])
case('s3 path kept', 'GET', H + '/a%20b/./%E1%88%B4', [], s3=True,
     content_sha256=hashlib.sha256(b'').hexdigest(), service='s3')
case('https port 443 omitted', 'GET', 'https://example.amazonaws.com:443/', [])
case('http port 80 omitted', 'GET', 'http://example.amazonaws.com:80/', [])
case('http port 8080 kept', 'GET', 'http://example.amazonaws.com:8080/', [])
case('repeated header joined', 'GET', H + '/',
     [('My-Header', 'b'), ('my-header', '  a  '), ('A-Header', 'x\t y')])
