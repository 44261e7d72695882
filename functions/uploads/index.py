"""Objects uploaded under uploads/: record, audit, announce."""

from ucm import uploads
from ucm.bootstrap import container
from ucm.fc.app import FunctionApp
from ucm.fc.events import OssRecord

app = FunctionApp("uploads", description="对象上传登记：OSS 触发", timeout_s=30)


@app.on_oss(prefix=uploads.PREFIX)
def on_upload(obj: OssRecord) -> dict[str, str | None]:
    return {"upload_id": uploads.record(container().db, obj)}


handler = app.handler
