# pgBackRest's two repositories as managed buckets: repo in the primary region, replicated
# to a second region (a regional outage must not take the backups with it). Encrypted with
# KMS, versioned, private, and expired after the retention the backup policy sets.

terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.replica]
    }
  }
}

data "aws_caller_identity" "current" {}

variable "name" {
  type = string
}

variable "retention_days" {
  type    = number
  default = 30
}

variable "tags" {
  type = map(string)
}

resource "aws_kms_key" "primary" {
  description         = "${var.name} backups"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_kms_key" "replica" {
  provider            = aws.replica
  description         = "${var.name} backups (replica)"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = var.tags
}

resource "aws_s3_bucket" "primary" {
  # checkov:skip=CKV2_AWS_62: pgBackRest writes thousands of WAL segments a day; no consumer
  # acts on object events, the backup-verify workflow reads the repository directly.
  bucket = "${var.name}-backups"
  tags   = var.tags
}

resource "aws_s3_bucket" "replica" {
  # checkov:skip=CKV2_AWS_62: see the primary bucket.
  # checkov:skip=CKV_AWS_144: this bucket IS the cross-region replica; replicating it again
  # would only add a third copy of the same data.
  provider = aws.replica
  bucket   = "${var.name}-backups-replica"
  tags     = var.tags
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_144: access logs are not backups; losing them in a regional outage
  # loses no data.
  # checkov:skip=CKV2_AWS_62: nothing consumes access-log events.
  # checkov:skip=CKV_AWS_18: the access-log bucket cannot log to itself.
  bucket = "${var.name}-backup-access-logs"
  tags   = var.tags
}

locals {
  buckets = {
    primary = { id = aws_s3_bucket.primary.id, key = aws_kms_key.primary.arn }
    logs    = { id = aws_s3_bucket.logs.id, key = aws_kms_key.primary.arn }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "replica" {
  provider = aws.replica
  bucket   = aws_s3_bucket.replica.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = each.value.key
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "replica" {
  provider = aws.replica
  bucket   = aws_s3_bucket.replica.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.replica.arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_public_access_block" "replica" {
  provider                = aws.replica
  bucket                  = aws_s3_bucket.replica.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "primary" {
  bucket        = aws_s3_bucket.primary.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "primary/"
}

resource "aws_s3_bucket_logging" "replica" {
  provider      = aws.replica
  bucket        = aws_s3_bucket.replica.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "replica/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.buckets
  bucket   = each.value.id
  rule {
    id     = "retention"
    status = "Enabled"
    filter {}
    # pgBackRest expires its own backups; this only removes what it left behind (old
    # versions, aborted uploads) after the retention window.
    noncurrent_version_expiration {
      noncurrent_days = var.retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "replica" {
  provider = aws.replica
  bucket   = aws_s3_bucket.replica.id
  rule {
    id     = "retention"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.retention_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_iam_role" "replication" {
  name = "${var.name}-backup-replication"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_s3_bucket_replication_configuration" "primary" {
  depends_on = [aws_s3_bucket_versioning.this]
  bucket     = aws_s3_bucket.primary.id
  role       = aws_iam_role.replication.arn
  rule {
    id     = "cross-region"
    status = "Enabled"
    filter {}
    delete_marker_replication {
      status = "Enabled"
    }
    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }
    destination {
      bucket = aws_s3_bucket.replica.arn
      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica.arn
      }
    }
  }
}

output "primary_bucket" {
  value = aws_s3_bucket.primary.bucket
}

output "replica_bucket" {
  value = aws_s3_bucket.replica.bucket
}
