# Object storage for media (docs/media.md): one private bucket holding the upload queue
# (incoming/), public variants (p/, served through the app at content-hashed, immutable URLs
# that the CDN caches) and private documents (d/, only via the app's signed URLs). The host
# reaches it through its instance role: no static keys anywhere.

variable "name" {
  type = string
}

variable "host_role_name" {
  description = "The VM's IAM role (modules/compute): the app and the worker use its credentials."
  type        = string
}

variable "noncurrent_days" {
  description = "How long a deleted or replaced object stays recoverable (versioning)."
  type        = number
  default     = 30
}

variable "tags" {
  type = map(string)
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "media" {
  description         = "${var.name} media"
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

resource "aws_s3_bucket" "media" {
  # checkov:skip=CKV2_AWS_62: the app defers its own processing job with each upload; no
  # consumer acts on bucket events.
  # checkov:skip=CKV_AWS_144: photos are replaceable user content kept versioned; a second
  # region's copy is a cost decision not taken yet (documents: see docs/media.md).
  bucket = "${var.name}-media"
  tags   = var.tags
}

resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_144: access logs are not user data; losing them loses nothing.
  # checkov:skip=CKV2_AWS_62: nothing consumes access-log events.
  # checkov:skip=CKV_AWS_18: the access-log bucket cannot log to itself.
  bucket = "${var.name}-media-access-logs"
  tags   = var.tags
}

locals {
  buckets = { media = aws_s3_bucket.media.id, logs = aws_s3_bucket.logs.id }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets
  bucket   = each.value
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets
  bucket   = each.value
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.media.arn
    }
    bucket_key_enabled = true # one KMS call per object batch, not per GET
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.buckets
  bucket                  = each.value
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_logging" "media" {
  bucket        = aws_s3_bucket.media.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "media/"
}

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id
  # Uploads the worker never processed (the sweep removes them after 6 h; this is the
  # backstop if the sweep stops).
  rule {
    id     = "incoming"
    status = "Enabled"
    filter {
      prefix = "incoming/"
    }
    expiration {
      days = 2
    }
  }
  # Deleted photos and documents stay recoverable for a while, then go for good: deletion
  # of personal data must end somewhere.
  rule {
    id     = "noncurrent"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "retention"
    status = "Enabled"
    filter {}
    expiration {
      days = 365
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# The host's role may read, write, delete and list the media bucket: nothing else.
resource "aws_iam_role_policy" "host_media" {
  name = "${var.name}-media"
  role = var.host_role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "Objects"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.media.arn}/*"
      },
      {
        Sid      = "List"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.media.arn
      },
      {
        Sid      = "Key"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.media.arn
      },
    ]
  })
}

output "bucket" {
  value = aws_s3_bucket.media.bucket
}
