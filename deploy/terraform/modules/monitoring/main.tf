# Outside-in monitoring: a Route 53 health check on /readyz through the CDN, alarmed into an
# SNS topic that pages (the in-host Prometheus cannot report its own host being down).

data "aws_caller_identity" "current" {}

variable "name" {
  type = string
}

variable "domain" {
  type = string
}

variable "alert_email" {
  type = string
}

variable "tags" {
  type = map(string)
}

resource "aws_route53_health_check" "readyz" {
  fqdn              = var.domain
  port              = 443
  type              = "HTTPS"
  resource_path     = "/readyz"
  failure_threshold = 3
  request_interval  = 30
  tags              = merge(var.tags, { Name = "${var.name}-readyz" })
}

resource "aws_kms_key" "alerts" {
  description         = "${var.name} alert topic"
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

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = aws_kms_key.alerts.id
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_metric_alarm" "down" {
  alarm_name          = "${var.name}-readyz-failing"
  namespace           = "AWS/Route53"
  metric_name         = "HealthCheckStatus"
  dimensions          = { HealthCheckId = aws_route53_health_check.readyz.id }
  statistic           = "Minimum"
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  period              = 60
  evaluation_periods  = 2
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}
