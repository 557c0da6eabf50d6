# The production environment on the VM target. State lives in the remote backend configured at
# `terraform init -backend-config=...` (not committed).

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

locals {
  name = "fixia-production"
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

module "network" {
  source      = "../../modules/network"
  name        = local.name
  admin_cidrs = var.admin_cidrs
  tags        = local.tags
}

module "compute" {
  source            = "../../modules/compute"
  name              = local.name
  instance_type     = "m6i.large"
  ami_id            = var.ami_id
  subnet_id         = module.network.subnet_id
  security_group_id = module.network.security_group_id
  tags              = local.tags
}

module "backup" {
  source = "../../modules/backup"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }
  name           = local.name
  retention_days = 30
  tags           = local.tags
}

module "dns_cdn" {
  source            = "../../modules/dns_cdn"
  name              = local.name
  zone_id           = var.zone_id
  domain            = var.domain
  origin_domain     = var.origin_domain
  certificate_arn   = var.certificate_arn
  log_bucket_domain = var.log_bucket_domain
  logs_kms_key_arn  = module.network.logs_kms_key_arn
  tags              = local.tags
}

module "monitoring" {
  source      = "../../modules/monitoring"
  name        = local.name
  domain      = var.domain
  alert_email = var.alert_email
  tags        = local.tags
}

output "host_ip" {
  value = module.compute.public_ip
}

output "backup_buckets" {
  value = [module.backup.primary_bucket, module.backup.replica_bucket]
}
