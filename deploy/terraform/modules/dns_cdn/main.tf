# Public name and CDN: CloudFront in front of the VM's HAProxy (TLS at the edge, static
# assets cached), a WAF with the managed common rule set, and the DNS record.

variable "name" {
  type = string
}

variable "zone_id" {
  type = string
}

variable "domain" {
  type = string
}

variable "origin_domain" {
  description = "DNS name of the VM (HAProxy terminates TLS there too)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate in us-east-1 for var.domain."
  type        = string
}

variable "log_bucket_domain" {
  type = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the WAF log group."
  type        = string
}

variable "tags" {
  type = map(string)
}

resource "aws_wafv2_web_acl" "edge" {
  name  = "${var.name}-edge"
  scope = "CLOUDFRONT"
  tags  = var.tags

  default_action {
    allow {}
  }

  rule {
    name     = "common"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-edge"
    sampled_requests_enabled   = true
  }
}

resource "aws_cloudwatch_log_group" "waf" {
  # AWS requires the aws-waf-logs- prefix for WAF logging destinations.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = 365
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "edge" {
  resource_arn            = aws_wafv2_web_acl.edge.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]
}

resource "aws_cloudfront_distribution" "app" {
  # checkov:skip=CKV_AWS_305: "/" is a dynamic page served by the app, not an object.
  # checkov:skip=CKV_AWS_310: one origin (the VM); failover is the DR procedure (restore to a
  # new VM from the replicated backups), not a second live origin.
  # checkov:skip=CKV2_AWS_47: the WAF's common rule set is attached; Log4j does not apply to
  # a Python stack.
  # checkov:skip=CKV_AWS_374: the marketplace serves Argentina but is reachable worldwide.
  # checkov:skip=CKV2_AWS_32: HAProxy sets the security headers at the origin.
  enabled         = true
  aliases         = [var.domain]
  web_acl_id      = aws_wafv2_web_acl.edge.arn
  is_ipv6_enabled = true
  price_class     = "PriceClass_All"
  tags            = var.tags

  origin {
    domain_name = var.origin_domain
    origin_id   = "vm"
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id       = "vm"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods         = ["GET", "HEAD"]
    # Managed policies: CachingDisabled for the API, AllViewer forwards cookies and headers.
    cache_policy_id          = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    origin_request_policy_id = "216adef6-5c7f-47e4-b989-5492eafa07d3"
  }

  ordered_cache_behavior {
    path_pattern           = "/static/*"
    target_origin_id       = "vm"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6" # CachingOptimized
  }

  # Public media variants: content-hashed URLs the app serves as immutable (docs/media.md),
  # cached at the edge for as long as the app says (a year).
  ordered_cache_behavior {
    path_pattern           = "/media/p/*"
    target_origin_id       = "vm"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6" # CachingOptimized
  }

  logging_config {
    bucket = var.log_bucket_domain
    prefix = "cdn/"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = var.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

resource "aws_route53_record" "app" {
  zone_id = var.zone_id
  name    = var.domain
  type    = "A"
  alias {
    name                   = aws_cloudfront_distribution.app.domain_name
    zone_id                = aws_cloudfront_distribution.app.hosted_zone_id
    evaluate_target_health = false
  }
}

output "cdn_domain" {
  value = aws_cloudfront_distribution.app.domain_name
}
