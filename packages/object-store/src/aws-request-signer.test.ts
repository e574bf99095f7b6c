import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSigV4Signer } from './aws-request-signer.ts';

/** The example key pair of AWS's SigV4 documentation and test suite. */
const KEYS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const AT = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('createSigV4Signer', () => {
  // AWS's SigV4 test suite (aws-sig-v4-test-suite): region us-east-1, service "service".
  const suite = createSigV4Signer({
    region: 'us-east-1',
    service: 'service',
    credentials: KEYS,
    bodyHashHeader: false,
  });
  const suiteAuth = (signature: string) =>
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
    `SignedHeaders=host;x-amz-date, Signature=${signature}`;

  it('signs get-vanilla as AWS published it', async () => {
    const headers = await suite(
      { method: 'GET', url: 'https://example.amazonaws.com/', headers: {} },
      AT,
    );
    expect(headers).toEqual({
      'x-amz-date': '20150830T123600Z',
      authorization: suiteAuth('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'),
    });
  });

  it('signs get-vanilla-query-order-key-case (the query sorted before signing)', async () => {
    const headers = await suite(
      {
        method: 'GET',
        url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
        headers: {},
      },
      AT,
    );
    expect(headers.authorization).toBe(
      suiteAuth('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'),
    );
  });

  it('signs post-vanilla', async () => {
    const headers = await suite(
      { method: 'POST', url: 'https://example.amazonaws.com/', headers: {} },
      AT,
    );
    expect(headers.authorization).toBe(
      suiteAuth('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'),
    );
  });

  // The expected values below were computed with botocore 1.43.11's SigV4Auth (Python, the AWS
  // CLI's signer) for the same requests, keys and time: an implementation nobody here wrote.
  it('signs a catalog commit to AWS Glue as botocore does: body hash, session token, %1F in the path', async () => {
    const body = '{"namespace":["a","b"],"properties":{}}';
    const glue = createSigV4Signer({
      region: 'eu-west-1',
      service: 'glue',
      credentials: { ...KEYS, sessionToken: 'SESSIONTOKENEXAMPLE' },
    });
    const headers = await glue(
      {
        method: 'POST',
        url: 'https://glue.eu-west-1.amazonaws.com/iceberg/v1/catalogs/123456789012/namespaces/logs%1Fprod/tables/events',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body,
      },
      AT,
    );
    expect(headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-amz-content-sha256': sha256(body),
      'x-amz-date': '20150830T123600Z',
      'x-amz-security-token': 'SESSIONTOKENEXAMPLE',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/glue/aws4_request, ' +
        'SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, ' +
        'Signature=8474f3f496c2ec0241a00578184e529780000a5441dff5b7b8d2b45e8abf0d05',
    });
  });

  it('signs an S3 Tables config request as botocore does: an encoded ARN in the query, no body', async () => {
    const s3tables = createSigV4Signer({
      region: 'us-east-2',
      service: 's3tables',
      credentials: KEYS,
    });
    const headers = await s3tables(
      {
        method: 'GET',
        url:
          'https://s3tables.us-east-2.amazonaws.com/iceberg/v1/config?warehouse=' +
          encodeURIComponent('arn:aws:s3tables:us-east-2:123456789012:bucket/lake'),
        headers: { accept: 'application/json' },
      },
      AT,
    );
    expect(headers['x-amz-content-sha256']).toBe(sha256(''));
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-2/s3tables/aws4_request, ' +
        'SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date, ' +
        'Signature=a50c57fac6376748ef967cc72802b903ff73845a8a669b78372f5ff3159ec899',
    );
  });

  it('signs a different body differently', async () => {
    const glue = createSigV4Signer({ region: 'eu-west-1', service: 'glue', credentials: KEYS });
    const sign = (body: string) =>
      glue(
        {
          method: 'POST',
          url: 'https://glue.eu-west-1.amazonaws.com/iceberg/v1/x',
          headers: {},
          body,
        },
        AT,
      );
    expect((await sign('{"a":1}')).authorization).not.toBe((await sign('{"a":2}')).authorization);
  });
});
