// Validates a CycloneDX 1.5 JSON file against the specification's strict JSON schema with OWASP's
// @cyclonedx/cyclonedx-library. Exit 0 and "valid", or exit 1 and the schema errors.
'use strict'
const fs = require('fs')
const CDX = require('@cyclonedx/cyclonedx-library')

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5)
validator.validate(fs.readFileSync(process.argv[2], 'utf8'))
  .then(errors => {
    if (errors === null) {
      console.log('valid')
    } else {
      console.log(JSON.stringify(errors, null, 2))
      process.exitCode = 1
    }
  })
  .catch(e => {
    console.error(e)
    process.exitCode = 2
  })
