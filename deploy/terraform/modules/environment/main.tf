# One Fixia environment on the VM target: the network, the host, the backup and media buckets,
# DNS and CDN, and monitoring. Environment roots (environments/*) differ only in their name, size and
# inputs, so everything they share lives here once.

terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.replica]
    }
  }
}

variable "environment" {
  description = "staging, production, ...: names every resource and tags it for cost tracking"
  type        = string
}

variable "instance_type" {
  type = string
}

variable "backup_retention_days" {
  type    = number
  default = 30
}

variable "site" {
  description = "Where the environment lives: access, image, DNS zone, certificate and alerting"
  type = object({
    admin_cidrs       = list(string)
    ami_id            = string
    zone_id           = string
    domain            = string
    origin_domain     = string
    certificate_arn   = string
    log_bucket_domain = string
    alert_email       = string
  })
}

variable "tags" {
  type = map(string)
}

locals {
  name = "fixia-${var.environment}"
}

module "network" {
  source      = "../network"
  name        = local.name
  admin_cidrs = var.site.admin_cidrs
  tags        = var.tags
}

module "compute" {
  source            = "../compute"
  name              = local.name
  instance_type     = var.instance_type
  ami_id            = var.site.ami_id
  subnet_id         = module.network.subnet_id
  security_group_id = module.network.security_group_id
  tags              = var.tags
}

module "backup" {
  source = "../backup"
  providers = {
    aws         = aws
    aws.replica = aws.replica
  }
  name           = local.name
  retention_days = var.backup_retention_days
  tags           = var.tags
}

module "media" {
  source         = "../media"
  name           = local.name
  host_role_name = module.compute.role_name
  tags           = var.tags
}

module "dns_cdn" {
  source            = "../dns_cdn"
  name              = local.name
  zone_id           = var.site.zone_id
  domain            = var.site.domain
  origin_domain     = var.site.origin_domain
  certificate_arn   = var.site.certificate_arn
  log_bucket_domain = var.site.log_bucket_domain
  logs_kms_key_arn  = module.network.logs_kms_key_arn
  tags              = var.tags
}

module "monitoring" {
  source      = "../monitoring"
  name        = local.name
  domain      = var.site.domain
  alert_email = var.site.alert_email
  tags        = var.tags
}

output "host_ip" {
  value = module.compute.public_ip
}

output "media_bucket" {
  value = module.media.bucket
}

output "backup_buckets" {
  value = [module.backup.primary_bucket, module.backup.replica_bucket]
}
