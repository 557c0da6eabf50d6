# The production environment on the VM target (modules/environment holds what environments share).
# State lives in the remote backend configured at `terraform init -backend-config=...` (not
# committed); the site's inputs come from a tfvars file or TF_VAR_site.

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  backend "s3" {}
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "replica_region" {
  type    = string
  default = "us-west-2"
}

variable "site" {
  description = "See modules/environment: admin CIDRs, AMI, DNS zone and domain, certificate, alerts"
  type        = any
}

locals {
  # Cost tracking: every resource carries these (default_tags plus explicit tags for
  # resources that do not inherit them).
  tags = {
    Project     = "fixia"
    Environment = "production"
    CostCenter  = "marketplace"
    ManagedBy   = "terraform"
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "replica"
  region = var.replica_region
  default_tags {
    tags = local.tags
  }
}

module "fixia" {
  source = "../../modules/environment"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }
  environment   = "production"
  instance_type = "m6i.large"
  site          = var.site
  tags          = local.tags
}

output "host_ip" {
  value = module.fixia.host_ip
}

output "backup_buckets" {
  value = module.fixia.backup_buckets
}
