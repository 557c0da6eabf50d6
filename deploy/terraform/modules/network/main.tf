# The VM target's network: one VPC, one public subnet for the host, and a firewall that
# mirrors the nftables rules Ansible installs (only HTTPS from the CDN and SSH from admins).

data "aws_caller_identity" "current" {}

variable "name" {
  type = string
}

variable "cidr_block" {
  type    = string
  default = "10.40.0.0/16"
}

variable "admin_cidrs" {
  description = "Networks allowed to SSH (deploys run over SSH from CI runners' egress)."
  type        = list(string)
  validation {
    condition     = !contains(var.admin_cidrs, "0.0.0.0/0")
    error_message = "SSH must not be open to the whole internet."
  }
}

variable "tags" {
  type = map(string)
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = var.name })
}

resource "aws_default_security_group" "deny" {
  # The default group allows all intra-group traffic; empty it so nothing relies on it.
  vpc_id = aws_vpc.this.id
  tags   = var.tags
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr_block, 8, 1)
  tags       = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_flow_log" "vpc" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "REJECT"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow.arn
  iam_role_arn         = aws_iam_role.flow.arn
  tags                 = var.tags
}

resource "aws_kms_key" "logs" {
  description         = "${var.name} flow logs"
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

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/fixia/${var.name}/vpc-flow"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.logs.arn
  tags              = var.tags
}

resource "aws_iam_role" "flow" {
  name = "${var.name}-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_security_group" "host" {
  # checkov:skip=CKV_AWS_24: SSH is limited to var.admin_cidrs, whose validation refuses
  # 0.0.0.0/0; checkov cannot evaluate a variable.
  # checkov:skip=CKV2_AWS_5: attached to the VM in the compute module (through an output),
  # which checkov does not follow across modules.
  name        = "${var.name}-host"
  description = "Fixia VM: HTTPS in, SSH from admins, egress for packages and backups"
  vpc_id      = aws_vpc.this.id
  tags        = var.tags

  ingress {
    description = "HTTPS (HAProxy)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "SSH for deploys and operators"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.admin_cidrs
  }

  egress {
    description = "HTTPS out: packages, object storage, alert webhooks"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

output "logs_kms_key_arn" {
  value = aws_kms_key.logs.arn
}

output "subnet_id" {
  value = aws_subnet.public.id
}

output "security_group_id" {
  value = aws_security_group.host.id
}
