import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Modal, Progress, Space, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { errorMessage } from '../../api/client';
import { putToPresigned } from '../../api/catalog';
import { BUSY, IMPORT_STATUS, commitImport, downloadImportErrors, getImport, importContentType, type ImportJob } from '../../api/imports';
import { createStocktakeImport, downloadStocktakeTemplate, type Stocktake } from '../../api/inventory';

const POLL_MS = 1000;

/**
 * 导入扫码枪文件: upload the scanner's export (条码 [+ 数量] per row), let the server check every
 * row, then write all counts at once. Rows of one product are summed and SET as its count, so the
 * same file imported twice changes nothing.
 */
export default function ScannerFileModal({ stocktake, onClose, onDone }: { stocktake: Stocktake; onClose: () => void; onDone: () => void }) {
  const { message } = App.useApp();
  const [job, setJob] = useState<ImportJob | null>(null);
  const [uploading, setUploading] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<number>();

  // the server parses the file after the upload: follow the job until it is ready or refused
  useEffect(() => {
    if (!job || !BUSY.includes(job.status)) return;
    timer.current = window.setTimeout(() => {
      getImport(job.id)
        .then(setJob)
        .catch((err) => setError(errorMessage(err)));
    }, POLL_MS);
    return () => window.clearTimeout(timer.current);
  }, [job]);

  const upload = async (file: File) => {
    setError(null);
    setUploading(1);
    try {
      const { job: created, upload: ticket } = await createStocktakeImport(stocktake, file.name, importContentType(file.name));
      await putToPresigned(ticket, file, (pct) => setUploading(Math.max(1, pct)));
      setJob({ ...created, status: 'awaiting_upload' });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setUploading(0);
    }
  };

  const commit = async () => {
    if (!job) return;
    setBusy(true);
    try {
      setJob(await commitImport(job.id, job.version));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (job?.status !== 'committed') return;
    message.success(`已导入 ${job.total_rows ?? ''} 行盘点数`);
    onDone();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job?.status]);

  const st = job ? IMPORT_STATUS[job.status] : null;
  return (
    <Modal
      title="导入扫码枪文件"
      open
      onCancel={onClose}
      width={620}
      footer={[
        <Button key="close" onClick={onClose}>
          关闭
        </Button>,
        <Button key="commit" type="primary" disabled={job?.status !== 'ready'} loading={busy} onClick={() => void commit()} data-testid="scanner-file-commit">
          写入盘点数
        </Button>,
      ]}
      data-testid="scanner-file"
    >
      <Typography.Paragraph type="secondary">
        文件每行一个条码（箱码按箱规折算、称重条码取重量），可带「数量」列；同一商品的行会相加，作为它的盘点数。
        <Button type="link" size="small" icon={<DownloadOutlined />} onClick={() => void downloadStocktakeTemplate('csv').catch((err) => setError(errorMessage(err)))}>
          下载模板
        </Button>
      </Typography.Paragraph>
      {!job && (
        <Upload.Dragger
          accept=".csv,.txt,.xlsx"
          showUploadList={false}
          disabled={uploading > 0}
          beforeUpload={(file) => {
            void upload(file);
            return false;
          }}
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p>点击或拖入扫码枪导出的文件（CSV / Excel）</p>
          {uploading > 0 && <Progress percent={uploading} size="small" style={{ padding: '0 24px' }} />}
        </Upload.Dragger>
      )}
      {job && st && (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="scanner-file-job" data-status={job.status}>
          <Space>
            <Typography.Text strong>{job.filename}</Typography.Text>
            <Tag color={st.color}>{st.text}</Tag>
            {job.total_rows !== null && <Typography.Text type="secondary">共 {job.total_rows} 行</Typography.Text>}
          </Space>
          {BUSY.includes(job.status) && <Progress percent={job.total_rows ? Math.round(((job.processed_rows ?? 0) / job.total_rows) * 100) : 10} status="active" />}
          {job.status === 'ready' && <Alert type="success" showIcon message="文件检查通过，点「写入盘点数」完成导入" />}
          {job.status === 'invalid' && (
            <Alert
              type="error"
              showIcon
              message={job.message ?? `有 ${job.counts?.error ?? ''} 行无法识别，整份文件未写入`}
              action={
                <Button size="small" onClick={() => void downloadImportErrors(job.id, 'xlsx').catch((err) => setError(errorMessage(err)))}>
                  下载错误报告
                </Button>
              }
            />
          )}
          {job.status === 'failed' && <Alert type="error" showIcon message={job.message ?? '导入失败'} />}
          {(job.status === 'invalid' || job.status === 'failed') && (
            <Button onClick={() => setJob(null)}>换一个文件</Button>
          )}
        </Space>
      )}
      {error && <Alert type="error" showIcon style={{ marginTop: 12 }} message={error} />}
    </Modal>
  );
}
