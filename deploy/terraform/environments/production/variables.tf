variable "region" {
  type    = string
  default = "us-east-1"
}

variable "replica_region" {
  type    = string
  default = "us-west-2"
}

variable "admin_cidrs" {
  type = list(string)
}

variable "ami_id" {
  type = string
}

variable "zone_id" {
  type = string
}

variable "domain" {
  type = string
}

variable "origin_domain" {
  type = string
}

variable "certificate_arn" {
  type = string
}

variable "log_bucket_domain" {
  type = string
}

variable "alert_email" {
  type = string
}
