'use strict';

// Serverless plugin: gives the REST API stage to the AWS::ApiGateway::Stage resource named
// ApiGatewayStage in serverless.yml instead of Serverless's AWS::ApiGateway::Deployment.
//
// Why: per-method throttling is a stage setting (MethodSettings). A usage plan throttles only
// requests that carry an API key, and the stage Serverless makes through the Deployment's
// StageName cannot take settings in CloudFormation (StageDescription is refused once the stage
// exists, and Serverless makes a new Deployment on every deploy). With the stage as its own
// resource the limits are in the template, reviewed and tested like any other property.
//
// What: after resources: are merged, on the one Deployment: drop StageName, and depend on the
// gateway responses so the deployment's snapshot includes them; on ApiGatewayStage: set
// DeploymentId to that Deployment, so each deploy moves the stage to the new snapshot.
// A stack whose stage was made by a Deployment must drop that stage before adopting this.

const STAGE_ID = 'ApiGatewayStage';

class RestApiStage {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.adoptStage(),
    };
  }

  adoptStage() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const stage = resources[STAGE_ID];
    if (!stage) return;
    const idsOf = (type) => Object.keys(resources).filter((id) => resources[id].Type === type);

    const deployments = idsOf('AWS::ApiGateway::Deployment');
    if (deployments.length !== 1) {
      throw new this.serverless.classes.Error(
        `rest-api-stage: want exactly one AWS::ApiGateway::Deployment, found ${deployments.length}`
      );
    }
    const deployment = resources[deployments[0]];
    if (deployment.Properties.StageName !== stage.Properties.StageName) {
      throw new this.serverless.classes.Error(
        `rest-api-stage: ${STAGE_ID} is "${stage.Properties.StageName}" but the deployment ` +
          `targets "${deployment.Properties.StageName}"; set StageName to \${sls:stage}`
      );
    }

    delete deployment.Properties.StageName;
    deployment.DependsOn = [
      ...new Set([].concat(deployment.DependsOn || [], idsOf('AWS::ApiGateway::GatewayResponse'))),
    ];
    stage.Properties.DeploymentId = { Ref: deployments[0] };
  }
}

module.exports = RestApiStage;
