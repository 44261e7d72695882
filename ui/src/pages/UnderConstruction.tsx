import { PageContainer } from '@ant-design/pro-components';
import { Card, Result } from 'antd';

/** Placeholder for modules that are not built yet. */
export default function UnderConstruction({ title }: { title: string }) {
  return (
    <PageContainer title={title}>
      <Card>
        <Result status="info" title="该模块建设中" subTitle={`「${title}」功能正在开发，敬请期待。`} />
      </Card>
    </PageContainer>
  );
}
