"""The one entry module: builds the factory's `Definitions` from the per-stage pieces.

`workspace.yaml` points here. Each stage contributes its assets, checks and sensors through its
own module; resources are chosen per deployment in `resources.build_resources`.
"""

from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

import assets
import sensors
from assets import ASSET_MODULES
from resources import build_resources

defs = Definitions(
    assets=load_assets_from_modules(ASSET_MODULES),
    asset_checks=load_asset_checks_from_modules(ASSET_MODULES),
    jobs=assets.JOBS,
    sensors=sensors.SENSORS,
    resources=build_resources(),
)
