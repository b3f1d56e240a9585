# Inputs of the environment module. An EnvironmentRequest's `spec` feeds
# these (one key per variable); `name` is the request's metadata.name.

variable "name" {
  type        = string
  description = "The environment's name (the request's metadata.name)."

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$", var.name))
    error_message = "The environment name must be a DNS label: lower-case letters, digits and '-', at most 42 characters."
  }
}

variable "team" {
  type        = string
  description = "The owning team; becomes the namespace prefix and a label."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{1,30}$", var.team))
    error_message = "The team must be a lower-case name of 2 to 31 characters (letters, digits, '-')."
  }
}

variable "tier" {
  type        = string
  description = "The environment tier: dev, staging or prod. Sets the quota."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.tier)
    error_message = "The environment tier must be one of \"dev\", \"staging\" or \"prod\"."
  }
}

variable "services" {
  description = "The services that run in the environment; one may ask for a database."
  type = list(object({
    name = string
    database = optional(object({
      storageGB = optional(number, 20)
      version   = optional(string, "16")
    }))
  }))
  default = []
}

variable "ttl" {
  type        = string
  description = "How long the environment lives after its request was committed (sluice prunes it then)."
  default     = null
}
