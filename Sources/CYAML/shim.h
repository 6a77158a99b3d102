// libyaml (Debian `libyaml-dev`, pkg-config `yaml-0.1`): the event parser the YAML gate reads.
#include <yaml.h>
