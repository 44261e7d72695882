import { Alert, Button } from 'antd';

export const VERSION_CONFLICT_TEXT = '数据已被他人修改，请刷新后重试';

/** Shown in an edit form after 409 common.version_conflict; 刷新 loads the current data. */
export default function VersionConflictAlert({ onRefresh, loading }: { onRefresh: () => void; loading?: boolean }) {
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginBottom: 16 }}
      message={VERSION_CONFLICT_TEXT}
      data-testid="version-conflict"
      action={
        <Button size="small" onClick={onRefresh} loading={loading}>
          刷新
        </Button>
      }
    />
  );
}
