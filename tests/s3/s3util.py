#!/usr/bin/env python3
"""boto3 operations the S3 tests need that object_store does not offer.

Usage: s3util.py ENDPOINT COMMAND ARGS...
  mkbucket NAME                      create a bucket
  mkkey                              create a KMS key, print its ARN
  head BUCKET KEY                    print the object's head as JSON (SSE fields included)
  put BUCKET KEY FILE                upload FILE under exactly KEY (any bytes object_store would encode)
"""
import json
import sys

import boto3


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def main() -> None:
    endpoint, command, *args = sys.argv[1:]
    if command == "mkbucket":
        client("s3", endpoint).create_bucket(Bucket=args[0])
    elif command == "mkkey":
        print(client("kms", endpoint).create_key(Description="trailhound test")["KeyMetadata"]["Arn"])
    elif command == "head":
        head = client("s3", endpoint).head_object(Bucket=args[0], Key=args[1])
        print(json.dumps({k: v for k, v in head.items() if k != "ResponseMetadata"}, default=str))
    elif command == "put":
        with open(args[2], "rb") as f:
            client("s3", endpoint).put_object(Bucket=args[0], Key=args[1], Body=f.read())
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
