module flux-assets-bootstrap/test/images/docker-context

go 1.26

require github.com/moby/patternmatcher v0.6.0
