# The VM target: one Debian 12 host that Ansible turns into the `fixiactl stack` topology.

variable "name" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "t3.large"
}

variable "ami_id" {
  description = "Debian 12 (bookworm) AMI for the region."
  type        = string
}

variable "subnet_id" {
  type = string
}

variable "security_group_id" {
  type = string
}

variable "tags" {
  type = map(string)
}

resource "aws_iam_role" "host" {
  name = "${var.name}-host"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_instance_profile" "host" {
  name = "${var.name}-host"
  role = aws_iam_role.host.name
}

resource "aws_instance" "host" {
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  vpc_security_group_ids = [var.security_group_id]
  iam_instance_profile   = aws_iam_instance_profile.host.name
  monitoring             = true
  ebs_optimized          = true

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_size = 80
    volume_type = "gp3"
    encrypted   = true
  }

  tags = merge(var.tags, { Name = var.name, Role = "fixia-stack" })
}

resource "aws_eip" "host" {
  instance = aws_instance.host.id
  domain   = "vpc"
  tags     = var.tags
}

output "public_ip" {
  value = aws_eip.host.public_ip
}

output "role_name" {
  value = aws_iam_role.host.name
}
