import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** One HTTP request as it will be sent: the signature covers all of it. */
export interface RequestToSign {
  readonly method: string;
  readonly url: string;
  /** Lower-case names; `host` is added from `url` for signing and not returned. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Returns the headers to send with the request (the given ones plus the signature's). */
export type RequestSigner = (
  request: RequestToSign,
  signingDate?: Date,
) => Promise<Record<string, string>>;

export interface SigV4Options {
  /** AWS region of the endpoint (`us-east-1`). */
  readonly region: string;
  /** Signing name of the service (`glue`, `s3tables`, `execute-api`). */
  readonly service: string;
  /**
   * Fixed credentials, or the AWS default chain when absent (environment, shared config and
   * profiles, web identity such as EKS IRSA, ECS and EC2 instance metadata), renewed before expiry.
   */
  readonly credentials?: AwsCredentialIdentity;
  /**
   * Send and sign `X-Amz-Content-Sha256` (default true, as Iceberg's own signer does; the body's
   * hash is in the signature either way). AWS's published test suite signs requests without it.
   */
  readonly bodyHashHeader?: boolean;
}

/**
 * AWS Signature Version 4 for requests made outside the AWS SDK's clients (the Iceberg REST
 * endpoints of AWS Glue and S3 Tables): `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256` of
 * the body and, for temporary credentials, `X-Amz-Security-Token`. The path is escaped again as
 * every service but S3 expects.
 */
export function createSigV4Signer(options: SigV4Options): RequestSigner {
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: options.bodyHashHeader ?? true,
  });
  return async (request, signingDate) => {
    const url = new URL(request.url);
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const seen = query[name];
      query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        ...(request.body === undefined ? {} : { body: request.body }),
      },
      signingDate ? { signingDate } : {},
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name.toLowerCase() !== 'host') headers[name.toLowerCase()] = value;
    }
    return headers;
  };
}

/** SHA-256, or HMAC-SHA-256 with a secret, from node:crypto in the shape the signer asks for. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', toBytes(this.secret));
  }

  update(data: Uint8Array | string): void {
    this.hash.update(toBytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.fresh();
  }
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
