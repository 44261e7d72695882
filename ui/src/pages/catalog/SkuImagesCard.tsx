import { useState } from 'react';
import { Alert, App, Button, Card, Empty, Image, Popconfirm, Progress, Space, Tag, Tooltip, Upload } from 'antd';
import { ArrowLeftOutlined, ArrowRightOutlined, DeleteOutlined, StarOutlined, UploadOutlined } from '@ant-design/icons';
import { errorMessage } from '../../api/client';
import { addImage, deleteImage, listImages, orderImages, putToPresigned, requestImageUpload, setMainImage, type SkuImage } from '../../api/catalog';
import { useAsync } from '../../hooks/useAsync';

const TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const MAX_BYTES = 5 * 1024 * 1024;

/** 图片: upload (presigned PUT), thumbnails, reorder, set main, delete. */
export default function SkuImagesCard({ skuId, writable, onChanged }: { skuId: string; writable: boolean; onChanged?: () => void }) {
  const { message } = App.useApp();
  const images = useAsync<SkuImage[]>(() => listImages(skuId), [skuId]);
  const [uploading, setUploading] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const list = [...(images.data ?? [])].sort((a, b) => a.position - b.position);

  const run = async (fn: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      const r = await fn();
      if (Array.isArray(r)) images.setData(r as SkuImage[]);
      else images.reload();
      message.success(ok);
      onChanged?.();
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const upload = async (file: File) => {
    if (!TYPES.includes(file.type)) {
      message.error('仅支持 JPEG、PNG 或 WebP 图片');
      return;
    }
    if (file.size > MAX_BYTES) {
      message.error('图片不能超过 5 MB');
      return;
    }
    setUploading(0);
    try {
      const ticket = await requestImageUpload(skuId, { filename: file.name, content_type: file.type, size: file.size });
      await putToPresigned(ticket, file, setUploading);
      await addImage(skuId, ticket.key);
      message.success('图片已上传');
      images.reload();
      onChanged?.();
    } catch (err) {
      message.error(errorMessage(err));
    } finally {
      setUploading(null);
    }
  };

  const move = (i: number, d: -1 | 1) => {
    const ids = list.map((x) => x.id);
    const j = i + d;
    if (j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    void run(() => orderImages(skuId, ids), '已调整顺序');
  };

  return (
    <Card
      title="图片"
      data-testid="sku-images"
      extra={
        writable && (
          <Upload accept={TYPES.join(',')} showUploadList={false} multiple={false} beforeUpload={(f) => (void upload(f), false)}>
            <Button icon={<UploadOutlined />} loading={uploading !== null} data-testid="image-upload">
              上传图片
            </Button>
          </Upload>
        )
      }
    >
      {images.error && <Alert type="error" showIcon message={images.error} style={{ marginBottom: 12 }} />}
      {uploading !== null && <Progress percent={uploading} size="small" style={{ marginBottom: 12 }} />}
      {list.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="暂无图片（JPEG / PNG / WebP，≤ 5 MB，第一张为主图）" />
      ) : (
        <Image.PreviewGroup>
          <Space wrap size={12}>
            {list.map((img, i) => (
              <div key={img.id} style={{ width: 128, border: img.is_main ? '2px solid #1677ff' : '1px solid #f0f0f0', borderRadius: 6, padding: 4 }} data-testid="image-item">
                <Image src={img.thumb_url} preview={{ src: img.url }} width={118} height={118} style={{ objectFit: 'cover' }} />
                <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center', marginTop: 4 }}>
                  {img.is_main ? <Tag color="blue">主图</Tag> : <span />}
                  {writable && (
                    <Space size={0}>
                      <Tooltip title="前移">
                        <Button size="small" type="text" icon={<ArrowLeftOutlined />} disabled={busy || i === 0} onClick={() => move(i, -1)} />
                      </Tooltip>
                      <Tooltip title="后移">
                        <Button size="small" type="text" icon={<ArrowRightOutlined />} disabled={busy || i === list.length - 1} onClick={() => move(i, 1)} />
                      </Tooltip>
                      {!img.is_main && (
                        <Tooltip title="设为主图">
                          <Button size="small" type="text" icon={<StarOutlined />} disabled={busy} onClick={() => void run(() => setMainImage(skuId, img.id), '已设为主图')} />
                        </Tooltip>
                      )}
                      <Popconfirm title="删除这张图片？" okText="删除" okButtonProps={{ danger: true }} onConfirm={() => void run(() => deleteImage(skuId, img.id), '已删除')}>
                        <Button size="small" type="text" danger icon={<DeleteOutlined />} disabled={busy} />
                      </Popconfirm>
                    </Space>
                  )}
                </div>
              </div>
            ))}
          </Space>
        </Image.PreviewGroup>
      )}
    </Card>
  );
}
